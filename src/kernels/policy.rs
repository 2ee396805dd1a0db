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

/// A trial times each mode for about this long (at least `MIN_TRIAL_STEPS` steps), the one in
/// use first, back to back: timing both side by side cancels the slow swings of a shared machine's
/// load. Long enough to see the OS switch a thread out (time slices are a few ms), short enough
/// that trying the slower mode costs little.
const TRIAL: Duration = Duration::from_millis(8);
/// Each timed part of a trial follows this long of untimed steps on the same threads. A thread that
/// slept runs ahead of the other processes for its first few ms (the scheduler's credit for
/// sleeping): timed from the start, the first steps on a freshly woken thread took 0.65 ms where
/// the steady ones took 1.3-2 ms (MNIST MLP, batch 128, busy machine), whichever the mode.
const SETTLE: Duration = Duration::from_millis(4);
const MIN_TRIAL_STEPS: usize = 2;
/// The pool takes over from one thread only when its steps took this much less time, so noise
/// does not flip the choice back and forth. One thread takes over from the pool on any gain: at a
/// tie it leaves a core to the other processes and has no partner to wait for when the OS switches
/// a thread out.
const MARGIN: f64 = 0.10;
/// Seconds of steps between trials: the first trial comes at the second step, the next after
/// `FIRST_INTERVAL`, and the interval doubles each time a trial confirms the choice, up to
/// `MAX_INTERVAL`. A trial of the slower mode costs about `SETTLE + TRIAL` at its pace, so on a
/// busy machine an epoch of 0.3 s pays for two.
const FIRST_INTERVAL: f64 = 0.2;
const MAX_INTERVAL: f64 = 3.2;
/// A chosen mode whose steps became this much slower than at the last trial (a load started) is
/// tried against the other at once.
const DRIFT: f64 = 0.3;

/// Chooses the mode for the steps of one model, from the time its steps took in each. A trial may
/// span runs of steps (chunks of `fit`): its parts go on where the last run stopped.
#[derive(Clone, Debug)]
pub struct Chooser {
    best: Mode,
    /// Seconds per step in `best`: the last trial's, then the running mean of its runs.
    per_step: Option<f64>,
    /// `per_step` at the last trial, against which a slowdown is noticed.
    at_trial: Option<f64>,
    /// Seconds of steps in `best` still to run before the next trial.
    until_trial: f64,
    interval: f64,
    warm: bool,
    /// The trial under way, if any.
    trial: Option<Trial>,
    /// Trials run and switches made, for tests and benchmarks.
    trials: u32,
}

/// A trial's progress: which part, how many steps that part still has, and what was timed.
#[derive(Clone, Copy, Debug)]
struct Trial {
    part: Kind,
    left: usize,
    seconds: f64,
    steps: usize,
    /// Seconds per step of `best` in the trial (after its timed part).
    reference: Option<f64>,
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
    /// buffers).
    Warmup,
    /// A trial's untimed steps in the mode in use, then its timed ones, then the same in the other.
    SettleBest,
    TimeBest,
    SettleOther,
    TimeOther,
    /// Steps in `best` between trials.
    Rest,
}

impl Default for Chooser {
    fn default() -> Self {
        Chooser {
            best: Mode::Spread,
            per_step: None,
            at_trial: None,
            until_trial: 0.0,
            interval: FIRST_INTERVAL,
            warm: false,
            trial: None,
            trials: 0,
        }
    }
}

impl Chooser {
    pub fn best(&self) -> Mode {
        self.best
    }

    /// Trials finished so far.
    pub fn trials(&self) -> u32 {
        self.trials
    }

    fn steps_for(&self, d: Duration) -> usize {
        match self.per_step {
            Some(per) => ((d.as_secs_f64() / per.max(1e-9)).ceil() as usize).max(MIN_TRIAL_STEPS),
            None => MIN_TRIAL_STEPS,
        }
    }

    fn start(&self, part: Kind) -> Trial {
        let d = if matches!(part, Kind::SettleBest | Kind::SettleOther) {
            SETTLE
        } else {
            TRIAL
        };
        Trial {
            part,
            left: self.steps_for(d),
            seconds: 0.0,
            steps: 0,
            reference: None,
        }
    }

    /// The next piece of a run with `left` steps still to do.
    pub fn next(&mut self, left: usize) -> Piece {
        let piece = |mode, steps: usize, kind| Piece {
            mode,
            steps: steps.min(left),
            kind,
        };
        if !self.warm {
            return piece(self.best, 1, Kind::Warmup);
        }
        if self.trial.is_none() && self.until_trial <= 0.0 {
            self.trial = Some(self.start(Kind::SettleBest));
        }
        match self.trial {
            Some(t) => {
                let mode = match t.part {
                    Kind::SettleOther | Kind::TimeOther => self.best.other(),
                    _ => self.best,
                };
                piece(mode, t.left, t.part)
            }
            None => {
                // Up to the next trial, so that it starts when due even in a long run.
                let due = self.per_step.map_or(left, |per| {
                    (self.until_trial / per.max(1e-9)).ceil() as usize
                });
                piece(self.best, due.max(1), Kind::Rest)
            }
        }
    }

    /// `piece` took `seconds` (its steps only, not the hand-over to the pool).
    pub fn record(&mut self, piece: &Piece, seconds: f64) {
        self.warm = true;
        if piece.steps == 0 {
            return;
        }
        let per = seconds / piece.steps as f64;
        match piece.kind {
            Kind::Warmup => {}
            Kind::Rest => {
                self.until_trial -= seconds;
                self.per_step = Some(self.per_step.map_or(per, |o| 0.5 * o + 0.5 * per));
                if self.at_trial.is_some_and(|t| per > t * (1.0 + DRIFT)) {
                    // The last trial describes a machine that is gone: try afresh now.
                    self.until_trial = 0.0;
                    self.interval = FIRST_INTERVAL;
                }
            }
            _ => self.record_trial(piece.steps, seconds),
        }
    }

    fn record_trial(&mut self, steps: usize, seconds: f64) {
        let Some(mut t) = self.trial.take() else {
            return;
        };
        t.left = t.left.saturating_sub(steps);
        t.seconds += seconds;
        t.steps += steps;
        if t.left > 0 {
            self.trial = Some(t);
            return;
        }
        let per = t.seconds / t.steps.max(1) as f64;
        let next = match t.part {
            Kind::SettleBest => Kind::TimeBest,
            Kind::TimeBest => {
                // The trial's other parts are sized from the steps just timed.
                self.per_step = Some(per);
                t.reference = Some(per);
                Kind::SettleOther
            }
            Kind::SettleOther => Kind::TimeOther,
            _ => {
                self.decide(t.reference.unwrap_or(per), per);
                return;
            }
        };
        let reference = t.reference;
        self.trial = Some(Trial {
            reference,
            ..self.start(next)
        });
    }

    /// A trial measured `best` at `reference` and the other mode at `other` seconds per step.
    fn decide(&mut self, reference: f64, other: f64) {
        self.trials += 1;
        let margin = if self.best == Mode::Serial {
            MARGIN
        } else {
            0.0
        };
        if other < reference * (1.0 - margin) {
            self.best = self.best.other();
            self.per_step = Some(other);
            self.interval = FIRST_INTERVAL;
        } else {
            self.per_step = Some(reference);
            self.interval = (self.interval * 2.0).min(MAX_INTERVAL);
        }
        self.at_trial = self.per_step;
        self.until_trial = self.interval;
    }
}

/// Split `steps` into the pieces `chooser` asks for, calling `run(piece, range)`, which returns the
/// seconds the piece took and whether to go on (false after an error, say).
pub fn drive(
    chooser: &mut Chooser,
    steps: usize,
    mut run: impl FnMut(&Piece, Range<usize>) -> (f64, bool),
) {
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
    /// the steps run in each mode.
    fn simulate(
        c: &mut Chooser,
        chunks: usize,
        steps: usize,
        spread: f64,
        serial: f64,
    ) -> [usize; 2] {
        let mut count = [0; 2];
        for _ in 0..chunks {
            drive(c, steps, |p, r| {
                count[p.mode as usize] += r.len();
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
    fn picks_the_faster_mode_at_the_start_and_keeps_it() {
        // One epoch of 470 steps in chunks of 80, as `fit` runs them.
        let mut c = Chooser::default();
        let n = simulate(&mut c, 6, 80, 1.0e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        // The first trial, at the second step, decides: the pool ran little more than its parts.
        assert!(n[Mode::Spread as usize] < 40, "{n:?}");

        let mut c = Chooser::default();
        let n = simulate(&mut c, 6, 80, 0.4e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Spread);
        assert!(
            n[Mode::Serial as usize] * 8 < n[Mode::Spread as usize],
            "{n:?}"
        );
    }

    #[test]
    fn a_trial_goes_on_across_short_chunks() {
        let mut c = Chooser::default();
        simulate(&mut c, 40, 3, 1.0e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        assert!(c.trials() >= 1);
    }

    #[test]
    fn a_small_gain_of_the_pool_does_not_switch_back_from_one_thread() {
        let mut c = Chooser::default();
        simulate(&mut c, 20, 80, 1.0e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        // The load ends, the one-thread steps stay as they were and the pool is 5% faster: kept.
        simulate(&mut c, 200, 80, 0.57e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Serial);
        // 30% faster: the pool takes over at the next trial.
        simulate(&mut c, 200, 80, 0.42e-3, 0.6e-3);
        assert_eq!(c.best(), Mode::Spread);
    }

    #[test]
    fn trials_get_rarer_while_the_choice_holds_and_a_load_is_noticed_at_once() {
        let mut c = Chooser::default();
        // (time, trials so far) after each chunk of 40 ms, for 12 s.
        let mut seen = Vec::new();
        for chunk in 0..300 {
            simulate(&mut c, 1, 100, 0.4e-3, 0.6e-3);
            seen.push((chunk as f64 * 0.04, c.trials()));
        }
        let starts: Vec<f64> = seen
            .windows(2)
            .filter(|w| w[1].1 > w[0].1)
            .map(|w| w[1].0)
            .collect();
        let gaps: Vec<f64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.windows(2).all(|g| g[1] >= g[0] - 0.05), "{gaps:?}");
        assert!(
            gaps.last().is_some_and(|&g| g >= MAX_INTERVAL - 0.1),
            "{gaps:?}"
        );
        // A load arrives: the pool's steps slow down past one thread's; one chunk later (40 ms)
        // one thread runs, not after the 3.2 s interval.
        simulate(&mut c, 2, 100, 1.0e-3, 0.6e-3);
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
