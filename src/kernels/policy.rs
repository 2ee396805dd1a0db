//! The parallel policy, in one place: from what size work is split over the pool, and whether a
//! run of train steps uses the pool's threads at all, chosen by measuring both while it trains.
//!
//! The choice exists for a busy machine. A train step forks and joins dozens of times, each join
//! waiting for every piece; when another process holds a core, the OS switches one of the pool's
//! threads out for a time slice now and then and its partner waits. With one of two cores held by a
//! spinning process, a batch-128 MNIST epoch took 0.28 s on one thread and 0.48-0.57 s on two. The
//! load comes and goes and the timing noise of a shared machine is large, so the choice is not
//! guessed from the machine's state: runs of steps are timed in each mode and the faster one is
//! kept, with a margin before switching, and the slower one is tried again now and then.
use std::ops::Range;
use std::time::Duration;

/// Elementwise work below this many elements runs on one thread. Handing work to the pool costs
/// tens of µs on the 2-vCPU target (a sleeping vCPU must be woken), more than a 100k-element Adam
/// update (~25 µs) or ReLU takes on one core.
pub const MIN_PARALLEL_ELEMS: usize = 1 << 18;
/// Batch-split work (convolutions, pooling) below this many multiply-adds runs on one thread when
/// called from outside the pool: its workers are asleep by then, and handing the work over and
/// waiting for one to wake costs 20-50 µs on the 2-vCPU target. Products from outside are handed
/// over whole only from here; smaller ones offer their pieces instead (kernels/offered.rs).
pub const MIN_PARALLEL_FLOPS: usize = 1 << 22;
/// The same threshold for work started on a pool thread (a train step, see `within_pool`), whose
/// partners are awake: 64×128·128×64 (2^19) took 9.3 µs on one thread and 5.4 µs split in two.
pub const MIN_SPLIT_FLOPS: usize = 1 << 18;

/// How a run of train steps uses the threads. Both cut the work into the same pieces (one per pool
/// thread), so they compute the same bits; `Serial` runs every piece on one thread of its own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// On the pool's threads, which wait for work by spinning between a step's parallel pieces.
    Spread,
    /// On one thread; the pool's threads sleep.
    Serial,
}

impl Mode {
    fn other(self) -> Mode {
        match self {
            Mode::Spread => Mode::Serial,
            Mode::Serial => Mode::Spread,
        }
    }
}

/// A trial runs the mode not in use for about this long (at least `MIN_TRIAL_STEPS` steps), right
/// after as many steps in the mode in use, and compares the two: timing both side by side cancels
/// the slow swings of a shared machine's load. Long enough to see the OS switch a thread out (time
/// slices are a few ms), short enough that trying the slower mode costs little.
const TRIAL: Duration = Duration::from_millis(8);
/// Each timed part of a trial follows this long of untimed steps on the same threads. A thread that
/// slept runs ahead of the other processes for its first few ms (the scheduler's credit for
/// sleeping): timed from the start, the first steps on a freshly woken thread took 0.65 ms where
/// the steady ones took 1.3-2 ms (MNIST MLP, batch 128, busy machine), whichever the mode.
const SETTLE: Duration = Duration::from_millis(4);
const MIN_TRIAL_STEPS: usize = 2;
/// The pool takes over from one thread only when its steps took this much less time (in the
/// running mean of the trials' ratios), so noise does not flip the choice back and forth. One
/// thread takes over from the pool on any gain: at a tie it leaves a core to the other processes
/// and has no partner to wait for when the OS switches a thread out.
const MARGIN: f64 = 0.10;
/// Runs of steps (calls of `next_chunk`) between trials: the interval starts at the first and
/// doubles each time a trial confirms the choice, up to the last (a run is ~50 ms in `fit`, so a
/// settled choice is checked about every 1.6 s).
const FIRST_INTERVAL: u32 = 2;
const MAX_INTERVAL: u32 = 32;
/// A chosen mode whose steps became this much slower than at the last trial (a load started) is
/// tried against the other at the next run, forgetting the earlier trials.
const DRIFT: f64 = 0.3;

/// Chooses the mode for the steps of one model, from the time its steps took in each.
#[derive(Clone, Debug)]
pub struct Chooser {
    best: Mode,
    /// Running mean of (seconds per step in the other mode) / (in `best`), over the trials.
    ratio: Option<f64>,
    /// Seconds per step in `best`: the last trial's reference, then the running mean of its runs.
    per_step: Option<f64>,
    /// `per_step` at the last trial, against which a slowdown is noticed.
    at_trial: Option<f64>,
    since_trial: u32,
    interval: u32,
    warm: bool,
    /// Where the current run is in a trial.
    stage: Stage,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    /// No trial in this run yet.
    Before,
    /// `best` has run its untimed steps; the timed reference is next.
    Settled,
    /// The reference steps (in `best`) took this many seconds per step; the trial's untimed
    /// steps are next.
    Reference(f64),
    /// As `Reference`, and the other mode has run its untimed steps; the timed trial is next.
    TrialSettled(f64),
    /// Tried (or not needed) in this run.
    Done,
}

/// What to run next: `steps` steps in `mode`, and which part of a trial they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub mode: Mode,
    pub steps: usize,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Untimed: the first step of all (which allocates the optimizer's state and the step's
    /// buffers), or the steps that let a trial's threads settle (`SETTLE`).
    Warmup,
    Reference,
    Trial,
    /// The rest of a run, in `best`.
    Rest,
}

impl Default for Chooser {
    fn default() -> Self {
        Chooser {
            best: Mode::Spread,
            ratio: None,
            per_step: None,
            at_trial: None,
            since_trial: 0,
            interval: FIRST_INTERVAL,
            warm: false,
            stage: Stage::Done,
        }
    }
}

impl Chooser {
    pub fn best(&self) -> Mode {
        self.best
    }

    /// Start a run of steps (a chunk of `fit`).
    pub fn next_chunk(&mut self) {
        self.since_trial = self.since_trial.saturating_add(1);
        let due = self.ratio.is_none() || self.since_trial >= self.interval;
        self.stage = if due { Stage::Before } else { Stage::Done };
    }

    /// The next piece of a run with `left` steps still to do.
    pub fn next(&mut self, left: usize) -> Piece {
        let piece = |mode, steps, kind| Piece { mode, steps, kind };
        if !self.warm {
            return piece(self.best, 1.min(left), Kind::Warmup);
        }
        let steps_for = |d: Duration| match self.per_step {
            Some(per) => ((d.as_secs_f64() / per.max(1e-9)).ceil() as usize).max(MIN_TRIAL_STEPS),
            None => MIN_TRIAL_STEPS,
        };
        let (trial, settle) = (steps_for(TRIAL), steps_for(SETTLE));
        let other = self.best.other();
        match self.stage {
            Stage::Before if left >= 2 * (trial + settle) => {
                self.stage = Stage::Settled;
                piece(self.best, settle, Kind::Warmup)
            }
            Stage::Settled => piece(self.best, trial.min(left), Kind::Reference),
            Stage::Reference(r) => {
                self.stage = Stage::TrialSettled(r);
                piece(other, settle.min(left), Kind::Warmup)
            }
            Stage::TrialSettled(_) => piece(other, trial.min(left), Kind::Trial),
            _ => piece(self.best, left, Kind::Rest),
        }
    }

    /// `piece` took `seconds` (its steps only, not the hand-over to the pool).
    pub fn record(&mut self, piece: &Piece, seconds: f64) {
        self.warm = true;
        if piece.steps == 0 {
            return;
        }
        let per = seconds / piece.steps as f64;
        let mean = |old: Option<f64>, new: f64| Some(old.map_or(new, |o| 0.5 * o + 0.5 * new));
        match piece.kind {
            Kind::Warmup => {}
            Kind::Reference => {
                self.stage = Stage::Reference(per);
                self.per_step = Some(per);
            }
            Kind::Trial => {
                let Stage::TrialSettled(reference) = self.stage else {
                    return;
                };
                self.stage = Stage::Done;
                self.since_trial = 0;
                self.at_trial = Some(reference);
                let ratio = mean(self.ratio, per / reference.max(1e-12)).unwrap_or(1.0);
                let margin = if self.best == Mode::Serial {
                    MARGIN
                } else {
                    0.0
                };
                if ratio < 1.0 - margin {
                    self.best = self.best.other();
                    self.ratio = Some(1.0 / ratio);
                    self.per_step = Some(per);
                    self.at_trial = Some(per);
                    self.interval = FIRST_INTERVAL;
                } else {
                    self.ratio = Some(ratio);
                    self.interval = (self.interval * 2).min(MAX_INTERVAL);
                }
            }
            Kind::Rest => {
                self.per_step = mean(self.per_step, per);
                if self.at_trial.is_some_and(|t| per > t * (1.0 + DRIFT)) {
                    // The old trials describe a machine that is gone: try afresh at the next run.
                    self.ratio = None;
                    self.at_trial = None;
                    self.interval = FIRST_INTERVAL;
                }
            }
        }
    }
}

/// Split `steps` into the pieces `chooser` asks for, calling `run(piece, range)`, which returns the
/// seconds the piece took and whether to go on (false after an error, say).
pub fn drive(
    chooser: &mut Chooser,
    steps: usize,
    mut run: impl FnMut(&Piece, Range<usize>) -> (f64, bool),
) {
    chooser.next_chunk();
    let mut done = 0;
    while done < steps {
        let piece = chooser.next(steps - done);
        let (seconds, go_on) = run(&piece, done..done + piece.steps);
        chooser.record(&piece, seconds);
        done += piece.steps;
        if !go_on {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `chunks` chunks of `steps` steps where a step takes `spread` or `serial` seconds; returns
    /// the steps run in each mode after the first chunk.
    fn simulate(
        c: &mut Chooser,
        chunks: usize,
        steps: usize,
        spread: f64,
        serial: f64,
    ) -> [usize; 2] {
        let mut count = [0; 2];
        for i in 0..chunks {
            drive(c, steps, |p, r| {
                if i > 0 {
                    count[p.mode as usize] += r.len();
                }
                let per = if p.mode == Mode::Spread {
                    spread
                } else {
                    serial
                };
                (per * r.len() as f64, true)
            });
        }
        count
    }

    #[test]
    fn picks_the_faster_mode_and_keeps_it() {
        let mut c = Chooser::default();
        let n = simulate(&mut c, 20, 80, 1.0e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        // Trials of the slower mode are a small part of the steps.
        assert!(
            n[Mode::Spread as usize] * 20 < n[Mode::Serial as usize],
            "{n:?}"
        );

        let mut c = Chooser::default();
        let n = simulate(&mut c, 20, 80, 0.4e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Spread);
        assert!(
            n[Mode::Serial as usize] * 20 < n[Mode::Spread as usize],
            "{n:?}"
        );
    }

    #[test]
    fn a_small_gain_of_the_pool_does_not_switch_back_from_one_thread() {
        let mut c = Chooser::default();
        simulate(&mut c, 20, 80, 1.0e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        // The load ends, the one-thread steps stay as they were and the pool is 5% faster: kept.
        simulate(&mut c, 40, 80, 0.57e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        // 30% faster: the pool takes over.
        simulate(&mut c, 40, 80, 0.42e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Spread);
    }

    #[test]
    fn trials_get_rarer_while_the_choice_holds_and_a_load_is_noticed() {
        let mut c = Chooser::default();
        let mut trials = Vec::new();
        for chunk in 0..100 {
            drive(&mut c, 80, |p, r| {
                if p.mode == Mode::Serial && trials.last() != Some(&chunk) {
                    trials.push(chunk);
                }
                let per = if p.mode == Mode::Spread {
                    0.4e-3
                } else {
                    0.6e-3
                };
                (per * r.len() as f64, true)
            });
        }
        let gaps: Vec<_> = trials.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "{gaps:?}");
        assert_eq!(
            gaps.last().copied(),
            Some(MAX_INTERVAL as usize),
            "{gaps:?}"
        );
        // A load arrives: spread steps slow down past the serial ones; the next chunk tries serial.
        simulate(&mut c, 3, 80, 1.0e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
    }

    #[test]
    fn the_first_step_is_not_measured_and_a_stop_ends_the_run() {
        let mut c = Chooser::default();
        let mut pieces = Vec::new();
        drive(&mut c, 10, |p, r| {
            pieces.push((p.clone(), r));
            (1.0, true)
        });
        assert!(pieces[0].0.kind == Kind::Warmup && pieces[0].1 == (0..1));
        assert_eq!(pieces.iter().map(|p| p.1.len()).sum::<usize>(), 10);
        let mut runs = 0;
        drive(&mut c, 10, |_, _| {
            runs += 1;
            (1.0, false)
        });
        assert_eq!(runs, 1);
    }
}
