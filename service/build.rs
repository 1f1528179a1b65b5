//! Generates the gRPC server and client code of `proto/milkrun/v1/*.proto`, the file descriptor
//! set served by reflection, and the proto3-JSON serde impls of the JSON face. protoc comes from
//! `protoc-bin-vendored`: a fresh machine needs neither protoc nor cmake.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // tonic-prost-build runs the protoc named by PROTOC.
    std::env::set_var("PROTOC", protoc);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let protos: Vec<PathBuf> = ["common", "roads", "routes", "dispatch"]
        .iter()
        // The batch services (Forecast, Customers, Jobs).
        .chain(&["forecast", "customers", "jobs"])
        .map(|name| root.join("milkrun/v1").join(format!("{name}.proto")))
        .collect();
    for p in &protos {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor = out.join("milkrun_descriptor.bin");
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(&descriptor)
        .compile_protos(&protos, &[root])?;
    let bytes = std::fs::read(&descriptor)?;
    pbjson_build::Builder::new()
        .register_descriptors(&bytes)?
        .build(&[".milkrun"])?;
    Ok(())
}
