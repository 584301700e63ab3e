//! The in-process queue of ferry-local, fair between tenants.
//!
//! [`MemoryQueue`] handles (cheap to clone) send into one [`MemoryReceiver`],
//! which the worker loop drains. The receiver keeps messages still waiting
//! out a delay in a heap ordered by due time; once due, a message moves to
//! its tenant's line (one FIFO per tenant), and the receiver hands out the
//! lines' heads in turn, one tenant after the other (round robin over the
//! tenants with a message ready). So a tenant with 10,000 queued orders
//! holds back another tenant's first order by at most one message per
//! tenant ahead of it in the ring, not by its whole backlog.
//!
//! `enqueue` never blocks and no timer task is left behind: when every
//! handle is dropped the receiver hands out what is due and then ends.
//! Messages still waiting out a delay at that point are dropped on purpose —
//! ferry-local re-enqueues every pending transfer from the store at start,
//! so nothing is lost.

use super::{Queue, QueueError, TransferMessage};
use crate::model::TenantId;
use async_trait::async_trait;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The longest delay, as on SQS: a longer wait is cut to this.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// The sending side; give one clone to each component that enqueues.
#[derive(Debug, Clone)]
pub struct MemoryQueue {
    sender: mpsc::UnboundedSender<(Instant, TransferMessage)>,
}

/// The receiving side, owned by the worker loop.
#[derive(Debug)]
pub struct MemoryReceiver {
    receiver: mpsc::UnboundedReceiver<(Instant, TransferMessage)>,
    waiting: BinaryHeap<Reverse<Waiting>>,
    /// Arrival counter: messages due at the same instant leave in arrival order.
    arrivals: u64,
    /// The messages that are due, one line per tenant, oldest first.
    ready: HashMap<TenantId, VecDeque<TransferMessage>>,
    /// The tenants with a message ready, in the order they are served; each
    /// tenant appears at most once.
    turns: VecDeque<TenantId>,
}

#[derive(Debug)]
struct Waiting {
    due: Instant,
    arrival: u64,
    message: TransferMessage,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.arrival) == (other.due, other.arrival)
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.arrival).cmp(&(other.due, other.arrival))
    }
}

impl MemoryQueue {
    /// A new, empty queue and its one receiver.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> (MemoryQueue, MemoryReceiver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let queue = MemoryQueue { sender };
        let receiver = MemoryReceiver {
            receiver,
            waiting: BinaryHeap::new(),
            arrivals: 0,
            ready: HashMap::new(),
            turns: VecDeque::new(),
        };
        (queue, receiver)
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn enqueue(&self, message: &TransferMessage, delay: Duration) -> Result<(), QueueError> {
        let due = Instant::now() + delay.min(MAX_DELAY);
        self.sender.send((due, message.clone())).map_err(|_| {
            QueueError("the in-process queue is closed because Ferry is shutting down".into())
        })
    }
}

impl MemoryReceiver {
    /// The next message that is due, waiting as long as needed: the head of
    /// the line of the tenant whose turn it is. `None` once every
    /// [`MemoryQueue`] handle is dropped and nothing due is left.
    pub async fn recv(&mut self) -> Option<TransferMessage> {
        loop {
            let open = self.take_arrived();
            self.line_up_due(Instant::now());
            if let Some(message) = self.next_in_turn() {
                return Some(message);
            }
            if !open {
                return None;
            }
            let next_due = self.waiting.peek().map(|Reverse(w)| w.due);
            let arrived = match next_due {
                Some(due) => tokio::select! {
                    arrived = self.receiver.recv() => arrived,
                    _ = tokio::time::sleep_until(due) => continue,
                },
                None => self.receiver.recv().await,
            };
            match arrived {
                Some((due, message)) => self.hold(due, message),
                // Closed: loop once more to hand out what is due, then end.
                None => continue,
            }
        }
    }

    /// Moves every message due by `now` from the heap to its tenant's line
    /// (by due time, then arrival), giving a tenant new to the ring a turn
    /// at its end.
    fn line_up_due(&mut self, now: Instant) {
        while self.waiting.peek().is_some_and(|Reverse(w)| w.due <= now) {
            let Some(Reverse(due)) = self.waiting.pop() else {
                break;
            };
            let tenant = due.message.tenant.clone();
            let line = self.ready.entry(tenant.clone()).or_default();
            if line.is_empty() {
                self.turns.push_back(tenant);
            }
            line.push_back(due.message);
        }
    }

    /// The head of the line of the tenant whose turn it is; that tenant goes
    /// to the end of the ring if it has more ready, and leaves it if not.
    fn next_in_turn(&mut self) -> Option<TransferMessage> {
        while let Some(tenant) = self.turns.pop_front() {
            let Some(line) = self.ready.get_mut(&tenant) else {
                continue;
            };
            let message = line.pop_front();
            if line.is_empty() {
                self.ready.remove(&tenant);
            } else {
                self.turns.push_back(tenant);
            }
            if message.is_some() {
                return message;
            }
        }
        None
    }

    /// Moves every message already sent into the heap, so that the order is
    /// decided on all of them. Returns whether a sender is still alive.
    fn take_arrived(&mut self) -> bool {
        loop {
            match self.receiver.try_recv() {
                Ok((due, message)) => self.hold(due, message),
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn hold(&mut self, due: Instant, message: TransferMessage) {
        self.arrivals += 1;
        self.waiting.push(Reverse(Waiting {
            due,
            arrival: self.arrivals,
            message,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TenantId, TransferId};

    fn message(transfer: &str) -> TransferMessage {
        TransferMessage {
            tenant: TenantId::parse("t_shop").unwrap(),
            transfer: TransferId::parse(transfer).unwrap(),
        }
    }

    fn order_of(tenant: &str, transfer: &str) -> TransferMessage {
        TransferMessage {
            tenant: TenantId::parse(tenant).unwrap(),
            transfer: TransferId::parse(transfer).unwrap(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tenants_take_turns_so_a_backlog_does_not_hold_back_another_tenant() {
        let (queue, mut receiver) = MemoryQueue::new();
        for n in 0..1000 {
            let order = order_of("t_busy", &format!("a{n}"));
            queue.enqueue(&order, Duration::ZERO).await.unwrap();
        }
        queue
            .enqueue(&order_of("t_quiet", "b0"), Duration::ZERO)
            .await
            .unwrap();
        queue
            .enqueue(&order_of("t_other", "c0"), Duration::ZERO)
            .await
            .unwrap();

        // The busy tenant had the first turn; the next two turns go to the
        // tenants behind it, not to its 999 other orders.
        assert_eq!(receiver.recv().await, Some(order_of("t_busy", "a0")));
        assert_eq!(receiver.recv().await, Some(order_of("t_quiet", "b0")));
        assert_eq!(receiver.recv().await, Some(order_of("t_other", "c0")));
        // Then the busy tenant's backlog, in its own order, with nothing lost.
        for n in 1..1000 {
            let expected = order_of("t_busy", &format!("a{n}"));
            assert_eq!(receiver.recv().await, Some(expected));
        }
        let rest = tokio::time::timeout(Duration::from_secs(1), receiver.recv()).await;
        assert!(rest.is_err(), "more messages than were sent: {rest:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn tenants_with_several_ready_alternate_one_message_at_a_time() {
        let (queue, mut receiver) = MemoryQueue::new();
        for (tenant, transfer) in [
            ("t_a", "a1"),
            ("t_a", "a2"),
            ("t_a", "a3"),
            ("t_b", "b1"),
            ("t_b", "b2"),
        ] {
            let order = order_of(tenant, transfer);
            queue.enqueue(&order, Duration::ZERO).await.unwrap();
        }
        let mut handed_out = Vec::new();
        for _ in 0..5 {
            let message = receiver.recv().await.unwrap();
            handed_out.push(message.transfer.as_str().to_string());
        }
        assert_eq!(handed_out, ["a1", "b1", "a2", "b2", "a3"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_message_joins_the_turns_when_it_is_due() {
        let (queue, mut receiver) = MemoryQueue::new();
        queue
            .enqueue(&order_of("t_late", "l1"), Duration::from_secs(10))
            .await
            .unwrap();
        for n in 0..5 {
            let order = order_of("t_busy", &format!("a{n}"));
            queue.enqueue(&order, Duration::ZERO).await.unwrap();
        }
        assert_eq!(receiver.recv().await, Some(order_of("t_busy", "a0")));
        // Not before its time, although the busy tenant has more ready...
        assert_eq!(receiver.recv().await, Some(order_of("t_busy", "a1")));
        tokio::time::advance(Duration::from_secs(10)).await;
        // ...and once due, it takes the turn after the busy tenant's
        // current one, ahead of the rest of the backlog.
        assert_eq!(receiver.recv().await, Some(order_of("t_busy", "a2")));
        assert_eq!(receiver.recv().await, Some(order_of("t_late", "l1")));
        assert_eq!(receiver.recv().await, Some(order_of("t_busy", "a3")));
        assert_eq!(receiver.recv().await, Some(order_of("t_busy", "a4")));
    }

    #[tokio::test(start_paused = true)]
    async fn messages_without_delay_come_out_in_the_order_they_went_in() {
        let (queue, mut receiver) = MemoryQueue::new();
        for name in ["a", "b", "c"] {
            queue.enqueue(&message(name), Duration::ZERO).await.unwrap();
        }
        for name in ["a", "b", "c"] {
            assert_eq!(receiver.recv().await, Some(message(name)));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_message_waits_for_its_delay_and_lets_others_pass() {
        let (queue, mut receiver) = MemoryQueue::new();
        let start = Instant::now();
        queue
            .enqueue(&message("later"), Duration::from_secs(30))
            .await
            .unwrap();
        queue
            .enqueue(&message("now"), Duration::ZERO)
            .await
            .unwrap();

        assert_eq!(receiver.recv().await, Some(message("now")));
        assert!(start.elapsed() < Duration::from_secs(1));

        // Not receivable before the delay is over...
        let early = tokio::time::timeout(Duration::from_secs(29), receiver.recv()).await;
        assert!(early.is_err(), "delivered before its delay: {early:?}");
        // ...and receivable once it is.
        assert_eq!(receiver.recv().await, Some(message("later")));
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn delayed_messages_leave_by_due_time_not_by_arrival() {
        let (queue, mut receiver) = MemoryQueue::new();
        queue
            .enqueue(&message("second"), Duration::from_secs(20))
            .await
            .unwrap();
        queue
            .enqueue(&message("first"), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(receiver.recv().await, Some(message("first")));
        assert_eq!(receiver.recv().await, Some(message("second")));
    }

    #[tokio::test(start_paused = true)]
    async fn enqueue_does_not_wait_for_the_delay() {
        let (queue, _receiver) = MemoryQueue::new();
        let start = Instant::now();
        queue
            .enqueue(&message("a"), Duration::from_secs(600))
            .await
            .unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_delay_longer_than_fifteen_minutes_is_cut_to_fifteen() {
        let (queue, mut receiver) = MemoryQueue::new();
        let start = Instant::now();
        queue
            .enqueue(&message("a"), Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(receiver.recv().await, Some(message("a")));
        assert_eq!(start.elapsed(), MAX_DELAY);
    }

    #[tokio::test(start_paused = true)]
    async fn the_receiver_ends_after_the_last_handle_is_dropped() {
        let (queue, mut receiver) = MemoryQueue::new();
        let other = queue.clone();
        queue.enqueue(&message("a"), Duration::ZERO).await.unwrap();
        other
            .enqueue(&message("waiting"), Duration::from_secs(60))
            .await
            .unwrap();
        drop(queue);
        drop(other);
        // What was due is still handed out; the delayed one is dropped.
        assert_eq!(receiver.recv().await, Some(message("a")));
        assert_eq!(receiver.recv().await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_receiver_wakes_up_and_ends_when_the_queue_is_dropped() {
        let (queue, mut receiver) = MemoryQueue::new();
        let worker = tokio::spawn(async move { receiver.recv().await });
        tokio::task::yield_now().await;
        drop(queue);
        assert_eq!(worker.await.unwrap(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn enqueue_fails_in_plain_words_once_the_receiver_is_gone() {
        let (queue, receiver) = MemoryQueue::new();
        drop(receiver);
        let error = queue
            .enqueue(&message("a"), Duration::ZERO)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("shutting down"), "{error}");
    }
}
