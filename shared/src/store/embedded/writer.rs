//! Group commit: one thread does all writing to the redb file.
//!
//! redb runs one write transaction at a time and a durable commit waits for
//! the disk. With a transaction per write, concurrent webhooks queued behind
//! each other's flushes. Instead every write is sent to this thread, which
//! takes all writes waiting at that moment, runs them one after another in
//! ONE transaction and commits once: one flush serves the whole batch. A
//! caller is answered only after that commit, so what it wrote is on disk
//! (or, for an eventual write, committed) before it hears "done".
//!
//! One write's error must not keep or undo the others' changes. redb 2 takes
//! savepoints only before a transaction opens its first table, so instead a
//! failing write aborts the batch's transaction and the batch runs again
//! without it; its error is its answer. Writes depend only on what they read
//! in the transaction, so the rerun reaches the state the failing write saw.
//! Failures are rare (a lost compare-and-swap, a duplicate create), and so
//! are reruns.

use crate::store::{StoreError, StoreResult};
use redb::{Database, Durability, WriteTransaction};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// At most this many writes share one commit, so no batch grows without end.
const BATCH_MAX: usize = 256;

/// The store's handle on the writer thread. Dropping it lets the thread
/// finish what was sent and waits for it, so the file is free again after.
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(db: Arc<Database>) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("ferry-store-writer".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    batch.extend(queue.try_iter().take(BATCH_MAX - 1));
                    let committed = commit_batch(&db, &mut batch);
                    for job in batch {
                        job.reply(committed.as_ref().copied().map_err(String::as_str));
                    }
                }
            })
            .map_err(|e| unavailable(format!("cannot start the store writer: {e}")))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the next batch and answers once that batch is
    /// committed. `work` may run more than once (see the module notes); only
    /// the run that is committed answers.
    pub(super) async fn write<T, F>(&self, durability: Durability, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&WriteTransaction) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            durability,
            work,
            result: None,
            reply,
        });
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the batch's writes in one transaction and commits it; a write that
/// fails is left out and the rest run again in a fresh transaction.
fn commit_batch(db: &Database, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    'attempt: loop {
        let mut tx = db
            .begin_write()
            .map_err(|e| format!("embedded store: {e}"))?;
        for job in batch.iter_mut().filter(|job| !job.failed()) {
            if !job.run(&tx) {
                tx.abort().map_err(|e| format!("embedded store: {e}"))?;
                continue 'attempt;
            }
        }
        if batch.iter().all(|job| job.failed()) {
            return Ok(()); // Nothing to keep: dropping `tx` aborts it.
        }
        let flush = batch.iter().any(|job| job.needs_flush());
        tx.set_durability(if flush {
            Durability::Immediate
        } else {
            Durability::Eventual
        });
        return tx.commit().map_err(|e| format!("embedded store: {e}"));
    }
}

/// One caller's write, its answer kept until the batch is committed.
trait Job: Send {
    /// Whether it ran and failed (it stays out of later runs of its batch).
    fn failed(&self) -> bool;
    /// Whether it succeeded and must be on disk before its caller hears so.
    fn needs_flush(&self) -> bool;
    /// Runs the write in `tx` and keeps its answer; false if it failed, in
    /// which case `tx` holds changes that must not be kept.
    fn run(&mut self, tx: &WriteTransaction) -> bool;
    /// Answers the caller: its own answer if the batch was committed.
    fn reply(self: Box<Self>, committed: Result<(), &str>);
}

struct Pending<T, F> {
    durability: Durability,
    work: F,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: Fn(&WriteTransaction) -> StoreResult<T> + Send,
{
    fn failed(&self) -> bool {
        matches!(self.result, Some(Err(_)))
    }

    fn needs_flush(&self) -> bool {
        matches!(self.durability, Durability::Immediate) && !self.failed()
    }

    fn run(&mut self, tx: &WriteTransaction) -> bool {
        // A panicking write must not take the writer thread (and every
        // later write) down with it.
        let result = catch_unwind(AssertUnwindSafe(|| (self.work)(tx)))
            .unwrap_or_else(|_| Err(unavailable("embedded store: a write failed unexpectedly")));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn reply(self: Box<Self>, committed: Result<(), &str>) {
        let Pending { result, reply, .. } = *self;
        let answer = match (committed, result) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(unavailable("embedded store: a write was not run")),
            (Err(e), _) => Err(unavailable(e)),
        };
        // The caller may have stopped waiting; its write stands either way.
        let _ = reply.send(answer);
    }
}

fn unavailable(message: impl Into<String>) -> StoreError {
    StoreError::Unavailable(message.into())
}

fn stopped() -> StoreError {
    unavailable("embedded store: the writer has stopped")
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{ReadableTable, TableDefinition};

    const NOTES: TableDefinition<&str, &str> = TableDefinition::new("notes");

    fn job<T, F>(work: F) -> (Box<dyn Job>, oneshot::Receiver<StoreResult<T>>)
    where
        T: Send + 'static,
        F: Fn(&WriteTransaction) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            durability: Durability::Immediate,
            work,
            result: None,
            reply,
        };
        (Box::new(pending), answer)
    }

    fn put(tx: &WriteTransaction, key: &str) -> StoreResult<()> {
        let mut notes = tx
            .open_table(NOTES)
            .map_err(|e| unavailable(e.to_string()))?;
        notes
            .insert(key, "x")
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(())
    }

    fn has(tx: &WriteTransaction, key: &str) -> bool {
        let notes = tx.open_table(NOTES).expect("the table");
        let found = notes.get(key).expect("a read").is_some();
        found
    }

    #[test]
    fn a_failing_write_keeps_nothing_and_undoes_nothing_of_its_batch() {
        let file = std::env::temp_dir().join(format!("ferry-writer-{}.redb", ulid::Ulid::new()));
        let db = Database::create(&file).expect("a database");
        let (first, first_answer) = job(|tx| put(tx, "first"));
        // Writes part of its change, then fails: none of it may be kept.
        let (failing, failing_answer) = job(|tx| {
            put(tx, "half")?;
            Err::<(), _>(StoreError::Conflict)
        });
        let (panicking, panicking_answer) = job::<(), _>(|tx| {
            put(tx, "panicked")?;
            panic!("a bug in one write");
        });
        // Runs after `first` in the same transaction, so it sees its change.
        let (after, after_answer) = job(|tx| {
            let saw_first = has(tx, "first");
            put(tx, "after")?;
            Ok(saw_first)
        });
        let mut batch = vec![first, failing, panicking, after];

        assert_eq!(commit_batch(&db, &mut batch), Ok(()));
        for job in batch {
            job.reply(Ok(()));
        }

        assert!(first_answer.blocking_recv().expect("an answer").is_ok());
        assert!(matches!(
            failing_answer.blocking_recv().expect("an answer"),
            Err(StoreError::Conflict)
        ));
        assert!(matches!(
            panicking_answer.blocking_recv().expect("an answer"),
            Err(StoreError::Unavailable(_))
        ));
        assert_eq!(
            after_answer.blocking_recv().expect("an answer").ok(),
            Some(true)
        );
        let tx = db.begin_read().expect("a read");
        let notes = tx.open_table(NOTES).expect("the table");
        let kept: Vec<String> = notes
            .iter()
            .expect("the notes")
            .map(|entry| entry.expect("a note").0.value().to_owned())
            .collect();
        assert_eq!(kept, ["after", "first"]);
        drop((notes, tx, db));
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn a_failed_commit_answers_every_caller_unavailable() {
        let (ok, ok_answer) = job(|_| Ok(1));
        let (failing, failing_answer) = job(|_| Err::<u8, _>(StoreError::Conflict));
        ok.reply(Err("embedded store: disk full"));
        failing.reply(Err("embedded store: disk full"));
        for answer in [ok_answer.blocking_recv(), failing_answer.blocking_recv()] {
            assert!(
                matches!(answer, Ok(Err(StoreError::Unavailable(m))) if m.contains("disk full"))
            );
        }
    }
}
