//! Links the function's executable at a fixed address (`-no-pie`) instead of
//! as a position-independent executable.
//!
//! Why: a PIE is relocated by the dynamic loader at every start: ~20,000
//! relative relocations, written into 320 KiB of `.data.rel.ro` (vtables,
//! string tables), whose pages then stay private memory. Without them: init
//! CPU -0.26 ms, peak RSS -0.4 MiB, zip -47 KiB (benches/LEVERS.md). The code
//! is still compiled position-independent; only the link differs.
//!
//! The trade: the executable's own code and data are no longer placed at a
//! random address (ASLR still randomizes the stack, heap, mmap regions and
//! shared libraries). Remove this file to go back to a PIE.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
