//! The allocator keeps freed pages between training steps (src/allocator.rs). Each check runs in a
//! child process of this test binary, alone, so no other test's allocations reach its counts.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "RUSTGRAD_ALLOCATOR_CHILD";

/// Runs `test` of this binary in a child with `env` set; true when it passed. Bounded: a child
/// still running after 60 s is killed and counts as a failure.
fn child_passes(test: &str, env: &[(&str, &str)]) -> bool {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("MIMALLOC_PURGE_DELAY")
        .env_remove("MIMALLOC_RESET_DELAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Minor page faults of this process so far (field 10 of /proc/self/stat).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split(' ').nth(7).unwrap().parse().unwrap()
}

/// A fresh allocation of `n` bytes with one byte written per page (the rest left unwritten, as
/// a kernel's output is before it is filled).
fn touched(n: usize) -> Vec<u8> {
    let mut buf: Vec<u8> = Vec::with_capacity(n);
    for page in buf.spare_capacity_mut().chunks_mut(4096) {
        page[0].write(1);
    }
    std::hint::black_box(buf)
}

/// Page faults over 1.5 s (past mimalloc's default purge delay of 1 s) of "steps" shaped like a
/// training step's: buffers of 8, 24 and 4 MB, freed out of order, small allocations, and 50 ms
/// with all of it free; after one untimed step. (One buffer alone, freed and allocated again, is
/// reused whatever the delay.)
fn faults_over_steps() -> u64 {
    let step = || {
        let a = touched(8 << 20);
        let b = touched(24 << 20);
        drop(a);
        let c = touched(4 << 20);
        drop(b);
        drop(c);
        let small: Vec<Vec<u8>> = (0..5000).map(|i| vec![1u8; 64 + (i % 7) * 100]).collect();
        drop(std::hint::black_box(small));
        std::thread::sleep(Duration::from_millis(50));
    };
    step();
    let before = minor_faults();
    for _ in 0..30 {
        step();
    }
    minor_faults() - before
}

/// The buffers of one step are 36 MB, 18 huge pages or 9 216 small ones: a step whose buffers were
/// purged faults at least 18 times, and 30 steps over 1.5 s are purged at least once.
const PURGED: u64 = 18;

#[test]
fn child_keeps_freed_pages() {
    if in_child() {
        rustgrad::allocator::configure();
        assert_eq!(
            rustgrad::allocator::purge_delay_ms(),
            rustgrad::allocator::KEEP_FREED_MS
        );
        assert!(faults_over_steps() < PURGED);
    }
}

#[test]
fn child_purges_after_the_delay_the_user_set() {
    if in_child() {
        rustgrad::allocator::configure();
        assert_eq!(rustgrad::allocator::purge_delay_ms(), 1000);
        assert!(faults_over_steps() >= PURGED);
    }
}

#[test]
fn freed_pages_are_kept_between_steps_unless_the_user_chose_otherwise() {
    if in_child() {
        return;
    }
    assert!(child_passes("child_keeps_freed_pages", &[]));
    // mimalloc's own default, set by its environment variable: this checks both that the option
    // index is the one the variable sets and that the fault count tells kept pages from purged.
    assert!(child_passes(
        "child_purges_after_the_delay_the_user_set",
        &[("MIMALLOC_PURGE_DELAY", "1000")]
    ));
}
