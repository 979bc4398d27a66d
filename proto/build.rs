//! Compiles every `.proto` file under `innohub/` with protox (pure Rust: no `protoc` on
//! the machine) and generates prost messages plus tonic clients and servers into
//! `OUT_DIR`. Also writes the encoded `FileDescriptorSet` (for gRPC reflection and for
//! schema registries).

use std::error::Error;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let proto_dir = root.join("innohub");

    println!("cargo:rerun-if-changed={}", proto_dir.display());
    let mut files = Vec::new();
    collect_protos(&proto_dir, &mut files)?;
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([&root])?;
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files(&files)?;
    std::fs::write(
        out_dir.join("innohub_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    let mut config = tonic_prost_build::Config::new();
    // `impl prost::Name` for every message: `ProcessSubmitted::NAME` is the envelope's
    // `event_type`, `full_name()` the fully qualified protobuf name.
    config.enable_type_names();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // tonic is used without its `transport` feature: no `connect` helpers.
        .build_transport(false)
        .compile_fds_with_config(compiler.file_descriptor_set(), config)?;
    Ok(())
}

/// All `.proto` files below `dir`, recursively.
fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
