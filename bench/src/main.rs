//! `milkrun-bench`: quality benchmarks.
fn main() {
    println!("milkrun-bench");
}
