//! The generated protobuf types, gRPC servers and clients of `proto/milkrun/v1`, their
//! proto3-JSON serde impls, and the file descriptor set served by reflection. Generated code
//! stays inside milkrun-service.
#![allow(missing_docs, clippy::all, clippy::pedantic, rust_2018_idioms)]

/// Package `milkrun.v1`.
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/milkrun.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/milkrun.v1.serde.rs"));
}

/// The encoded file descriptor set of every milkrun proto (for server reflection).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/milkrun_descriptor.bin"));
