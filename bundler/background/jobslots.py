"""OpenDash's background job slots and claims (shipped as opendash_jobslots.py, beside the manager).

Both are records created only if absent (the job store's create: S3's If-None-Match: *, a hard link in the
preview's folder), so of two invocations racing for one, exactly one wins:
- a claim (claim/<job>): asynchronous invocation is at-least-once, so the invocation that runs a job first
  claims it; a second delivery of the same event finds it claimed and ends quietly;
- a slot (slot/<i>/<generation>): with a concurrency cap, a job starts only in a free one of that many
  slots, else the browser gets the callback's error at once (a public site cannot run unbounded jobs).
  Beside its lease, a job that started marks slot/<i>/<generation>-running-<its timeout>.
Standard library only; the store is opendash_jobstore.py's.
"""

# An async invocation waits in Lambda's queue before it starts; past this a job that never started is failed.
START_GRACE = 120
# A slot lease outlives what its job can take by this much before another job may take the slot over: only a
# job whose event was dropped or whose invocation died leaves one that long (a live one frees it as it ends).
SLOT_MARGIN_S = 60
# Between the lease's slot/<i>/<generation> name and the running job's timeout in its running mark.
RUNNING = "-running-"
# Between Lambda taking an event from its queue and the job's start: a cold start of the image and the app's
# load, retried inside the invocation when it passes Lambda's 10 s for INIT.
COLD_START_S = 60


def claim(store, job):
    """Whether this invocation is the one that runs job (the first to claim it)."""
    return store.create("claim/%s" % job, b"1")


class Slots:
    """The concurrency cap over a store: at most concurrency jobs (None: no cap) of timeout seconds each."""

    def __init__(self, store, concurrency, timeout, clock):
        self.store, self.concurrency, self.timeout, self.clock = store, concurrency, timeout, clock

    def take(self, job):
        """The name of the lease taken on a free slot for job; None without a cap; False when every slot is
        taken. A slot's lease is its highest generation, live until its job can no longer be running: a job
        that has not started within START_GRACE (and a cold start) never will (Lambda drops an event queued
        that long), one that started ends within its own timeout (its running mark names it). Past that the
        next generation is created, which only one of two racing starts can do."""
        if not self.concurrency:
            return None
        newest, running = {}, {}  # slot -> (highest generation, its time); (slot, generation) -> (time, timeout)
        for name, modified in self.store.list("slot/"):
            parts = name.split("/")
            if len(parts) != 3 or not parts[1].isdigit():
                continue
            slot = int(parts[1])
            gen, _, timeout = parts[2].partition(RUNNING)
            if not gen.isdigit():
                continue
            if timeout.isdigit():
                running[(slot, int(gen))] = (modified, int(timeout))
            elif not timeout and int(gen) > newest.get(slot, (-1, 0))[0]:
                newest[slot] = (int(gen), modified)
        now = self.clock()
        for slot in range(self.concurrency):
            gen, leased = newest.get(slot, (-1, 0))
            started, timeout = running.get((slot, gen), (None, 0))
            live_until = started + timeout if started is not None else leased + START_GRACE + COLD_START_S
            if gen >= 0 and now < live_until + SLOT_MARGIN_S:
                continue
            name = "slot/%d/%d" % (slot, gen + 1)
            if self.store.create(name, job.encode("ascii")):
                return name
        return False

    def _running_mark(self, lease):
        return "%s%s%d" % (lease, RUNNING, int(self.timeout))

    def mark_running(self, lease, job):
        """Keeps lease (take's name, or None) taken for the whole timeout of job, which starts now."""
        if lease:
            self.store.put(self._running_mark(lease), job.encode("ascii"))

    def release(self, lease):
        """Frees lease (take's name, or None): the job ended, was cancelled or never started."""
        if lease:
            self.store.delete(self._running_mark(lease))  # first: a lease left alone is soon seen as stale
            self.store.delete(lease)
