//! How the image is built and started: build.yaml, the Dockerfile, the build script, run.sh.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;

use serde_yaml::Value;

use crate::files::*;

#[test]
fn build_yaml_has_the_legacy_shape() {
    let build = yaml_with_only("build.yaml", &["build_from", "args", "labels"]);
    let build_from = get(&build, "build_from")
        .and_then(Value::as_mapping)
        .expect("build_from map");
    let arch: BTreeSet<String> = get(&config(), "arch")
        .and_then(Value::as_sequence)
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys(build_from), arch, "build_from arches != config arches");
    let dockerfile_base = dockerfile_build_from();
    for (arch, image) in build_from {
        let image = image.as_str().expect("image string");
        assert_eq!(
            image, dockerfile_base,
            "build_from.{arch:?} differs from the Dockerfile base"
        );
    }
    if let Some(labels) = get(&build, "labels") {
        for (k, v) in labels.as_mapping().expect("labels mapping") {
            assert!(k.is_string() && v.is_string(), "labels are strings");
        }
    }
}

fn dockerfile_build_from() -> String {
    let dockerfile = read("Dockerfile");
    let arg = dockerfile
        .lines()
        .find_map(|line| line.trim().strip_prefix("ARG BUILD_FROM="))
        .expect("Dockerfile declares ARG BUILD_FROM=<base>");
    arg.trim().to_owned()
}

#[test]
fn dockerfile_names_its_base_and_builds_with_the_shared_script() {
    let dockerfile = read("Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).collect();
    let first_from = lines
        .iter()
        .position(|l| l.starts_with("FROM "))
        .expect("a FROM");
    let arg = lines
        .iter()
        .position(|l| l.starts_with("ARG BUILD_FROM="))
        .expect("ARG BUILD_FROM");
    assert!(
        arg < first_from,
        "ARG BUILD_FROM must come before the first FROM"
    );
    assert_eq!(
        dockerfile_build_from(),
        "ghcr.io/home-assistant/base:3.24-2026.08.0"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("FROM rust:") && l.contains("-alpine AS build"))
    );
    assert!(
        lines.contains(&"FROM ${BUILD_FROM}"),
        "final stage FROM ${{BUILD_FROM}}"
    );
    assert!(
        dockerfile.contains(".ci/build-static.sh"),
        "the build runs .ci/build-static.sh"
    );
    assert!(dockerfile.contains("/usr/bin/thinq-addon"));
    assert!(
        dockerfile.contains("HEALTHCHECK")
            && dockerfile.contains(r#"["/usr/bin/thinq-addon", "health"]"#)
    );
    assert_eq!(
        lines.iter().rev().find(|l| l.starts_with("CMD")),
        Some(&r#"CMD ["/run.sh"]"#)
    );
    for label in [
        "io.hass.type",
        "io.hass.arch",
        "io.hass.version",
        "org.opencontainers.image.source",
    ] {
        assert!(dockerfile.contains(label), "Dockerfile lacks label {label}");
    }
    // Cargo.toml and Cargo.lock are copied on their own first, for the dependency layer.
    let manifests = dockerfile
        .find("COPY Cargo.toml Cargo.lock")
        .expect("manifests copied");
    let sources = dockerfile.find("COPY . .").expect("sources copied");
    assert!(manifests < sources);
    let ignore = read(".dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "target/"),
        ".dockerignore must hold target/"
    );
}

#[test]
fn build_script_is_executable_and_checks_static_linking() {
    let path = root().join(".ci/build-static.sh");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_ne!(mode & 0o111, 0, ".ci/build-static.sh must be executable");
    let script = read(".ci/build-static.sh");
    // The image carries the add-on only: no simulator, HTTP server or demo broker.
    assert!(script.contains("cargo build --release --locked --no-default-features --target"));
    assert!(script.contains("PT_INTERP"));
}

#[test]
fn run_sh_is_executable_and_execs_the_binary() {
    let path = root().join("run.sh");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_ne!(
        mode & 0o111,
        0,
        "run.sh must be executable (git update-index --chmod=+x)"
    );
    let script = read("run.sh");
    assert_eq!(
        script.lines().next(),
        Some("#!/usr/bin/with-contenv bashio")
    );
    let last = script
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert_eq!(
        last,
        "exec /usr/bin/thinq-addon run --options /data/options.json --data-dir /data"
    );
}
