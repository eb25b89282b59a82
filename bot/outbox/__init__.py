"""The outbox sender: global rate, per-chat spacing, 429 / 403 / network-error policy, exactly-once.

Rows are written by `store.enqueue` / `store.outbox_values` inside the transaction that caused them;
`worker.DeliveryWorker` delivers them, paced by `pacing.Pacer`.

Protocol, per row:

1. **Claim** (one statement, one short transaction): among the *head* of each chat's queue (the lowest id
   still pending or sending), take rows that are due — pending with ``not_before <= now``, or sending with an
   expired lease (their worker died) — ordered by id, skipping chats this process sent to less than
   ``per_chat_interval`` ago. They become ``sending`` with ``lease_until = now + lease`` and ``attempts += 1``.
   On PostgreSQL the candidates are locked ``FOR UPDATE SKIP LOCKED``, so two processes never claim the same
   row; on SQLite the single ``UPDATE … RETURNING`` statement holds the database write lock. Only heads are
   claimed, so messages to one chat go out in id order even across processes and retries.
   A claim takes about half a second of sending (``prefetch``), so it is not a query per message.
2. **Send** once an in-flight slot (``concurrency``), a global-rate slot and the chat's spacing allow. If that
   takes so long that the lease could run out during the request, the row is handed back unsent. The request
   timeout is a third of the lease, so a lease never expires while its request may still be in flight.
   Per-chat spacing and the global rate are kept in-process, or for all replicas together through Redis when
   REDIS_URL is set (`pacing.SharedPacer`); the per-chat order holds across processes either way.
3. **Record** the answer at once, guarded by ``status = sending AND attempts = <ours>`` (``attempts`` doubles
   as a fencing token: a row re-claimed by someone else is not overwritten). Group commit: answers that arrive
   while a commit is under way share the next one, so no row waits longer than it would for the database
   lock anyway, and SQLite (one writer, an fsync per commit) keeps up with 200 messages/second:
   * ok → ``sent`` with ``sent_at`` and ``telegram_message_id``; text and buttons are blanked (no copy of a
     sent message is kept; the bare row is deleted by ``purge_sent`` after 30 days);
   * 429 → pending with ``not_before = now + retry_after``, and the whole worker pauses for ``retry_after``
     (it is a flood limit on the bot, not on the chat);
   * network error, 5xx, 401/404 and the unexpected → pending with exponential backoff; ``failed`` once
     ``attempts`` reaches ``max_attempts``;
   * 403 → ``failed`` with error ``blocked``, and ``on_blocked`` runs in the same transaction (if it raises,
     the row is retried like a network error, so the hook's effect is not lost);
   * group migrated to a supergroup → the row moves to the new chat id and is retried;
   * other 400s → ``failed`` with Telegram's description.

Crash window: the Bot API has no idempotency key. A kill between Telegram accepting a message and step 3's
commit leaves the row ``sending``; after its lease expires it is sent again — at most one duplicate per row
that was in flight (so at most ``concurrency`` per crash). Anything else survives a kill -9: unsent rows are
pending or sending-with-lease and get (re)claimed, recorded rows are never touched again. A request that times
out is ambiguous in the same way and is retried (a lost message is worse than a repeated one). Leases compare
the workers' wall clocks, so hosts running workers must keep their clocks in sync (skew ≪ lease).

The worker calls ``bot.session.make_request`` directly: it owns the 429 policy, and a request middleware that
sleeps out a 429 inside one send (bot.telegram_retry) would keep the other sends hitting the flood limit.
"""

from bot.outbox.store import BlockedHook, enqueue, mark_written, outbox_values, purge_sent, queue, wake_on_commit
from bot.outbox.worker import DeliverySettings, DeliveryStats, DeliveryWorker

__all__ = [
    "BlockedHook", "DeliverySettings", "DeliveryStats", "DeliveryWorker", "enqueue", "mark_written", "outbox_values",
    "purge_sent", "queue", "wake_on_commit",
]
