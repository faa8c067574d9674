"""The words of `drillkit ack-server`: an acknowledgement server instance with no engine."""

from __future__ import annotations

__all__ = ["ACK_SERVER"]

ACK_SERVER: dict[str, tuple[str, str]] = {
    # (ja, en)
    "ready": (
        "受信確認サーバーを {url} で開始しました（公開アドレス {public}、イベントストア {store}）。"
        "このストアで実行中の訓練の受信確認を受け付けます。",
        "Acknowledgement server listening on {url} (public address {public}, event store "
        "{store}); it answers for the drills running on that store.",
    ),
    "replies": ("返信メールを {host} で確認します。", "Polling {host} for reply e-mails."),
    "stopped": ("受信確認サーバーを停止しました。", "Acknowledgement server stopped."),
    "no_key": (
        "リンク署名キーが設定されていません。訓練を実行するプロセスと同じキーを"
        "環境変数 DRILLKIT_LINK_KEY（またはキーリング）に設定してから起動してください。"
        "キーがないと、ほかのプロセスが送ったリンクを確認できません。",
        "No link-signing key is set. Set the same key as the processes that run the drills "
        "(DRILLKIT_LINK_KEY or the keyring), then start it again: without it, links sent "
        "by another process cannot be checked.",
    ),
    "port_taken": (
        "受信確認サーバーを {host}:{port} で開始できません（{reason}）。"
        "--port で別のポートを指定するか、そのポートを使っているプロセスを停止してください。",
        "The acknowledgement server cannot listen on {host}:{port} ({reason}). Give another "
        "port with --port, or stop what uses it.",
    ),
}

WATCH: dict[str, tuple[str, str]] = {
    # (ja, en): `drillkit watch` as a live board in a terminal.
    "tree": ("連絡網", "Tree"),
    "level": ("段階", "Level"),
    "state": ("状態", "State"),
    "acks": ("応答／必要数", "Acks / needed"),
    "late": ("遅れ", "Late"),
    "waiting_for": ("応答待ちの必須", "Still needed from"),
    "counts": (
        "連絡先 {contacts}　応答 {acked}（{percent}）　遅れ {late}　呼出中 {paging}　未到達 {unreached}",
        "Contacts {contacts}  ·  acknowledged {acked} ({percent})  ·  late {late}  ·  "
        "paging {paging}  ·  unreached {unreached}",
    ),
    "recent": ("最近の出来事", "Recent events"),
    "no_levels": ("まだ始まった段階はありません。", "No level has started yet."),
}
