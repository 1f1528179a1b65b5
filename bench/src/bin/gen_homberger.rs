//! Writes the generated Homberger-style 1,000-customer instances
//! (`milkrun_datasets::generate::homberger_gen_1000`) into
//! `datasets/data/vrp/homberger_gen_1000/`, one Solomon-format file each:
//!
//! ```text
//! cargo run --release -p milkrun-bench --bin gen_homberger
//! ```
//!
//! The shipped files are checked against the generator by the datasets
//! crate's tests, so rerunning this only rewrites the same bytes.

fn main() -> anyhow::Result<()> {
    let dir = milkrun_datasets::vrp_set_dir("homberger_gen_1000");
    std::fs::create_dir_all(&dir)?;
    for inst in milkrun_datasets::generate::homberger_gen_1000() {
        let path = dir.join(format!("{}.txt", inst.name));
        std::fs::write(&path, milkrun_datasets::write_solomon(&inst))?;
        println!("{}", path.display());
    }
    Ok(())
}
