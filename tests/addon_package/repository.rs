//! The rest of the repository the add-on store and users see: no stray add-on configs, icons,
//! the AppArmor profile, repository.yaml, the docs, the changelog and the release workflow.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::files::*;

#[test]
fn no_other_file_is_named_like_an_addon_config() {
    // The Supervisor tries every config.{yaml,yml,json} in the repository as an add-on.
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                if name != "target" && name != ".git" {
                    walk(&path, found);
                }
            } else if matches!(name.as_ref(), "config.yaml" | "config.yml" | "config.json") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&root(), &mut found);
    assert_eq!(found, vec![root().join("config.yaml")]);
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(name: &str) -> (u32, u32) {
    let bytes = std::fs::read(root().join(name)).unwrap();
    assert_eq!(
        bytes.get(..8),
        Some(&b"\x89PNG\r\n\x1a\n"[..]),
        "{name} is not a PNG"
    );
    assert_eq!(bytes.get(12..16), Some(&b"IHDR"[..]), "{name}: no IHDR");
    let be = |range: std::ops::Range<usize>| u32::from_be_bytes(bytes[range].try_into().unwrap());
    (be(16..20), be(20..24))
}

#[test]
fn icon_is_a_square_png_and_logo_a_wide_one() {
    let (w, h) = png_size("icon.png");
    assert_eq!(w, h, "icon.png must be square");
    assert!(w >= 128, "icon.png should be at least 128 px");
    let (w, h) = png_size("logo.png");
    assert!(
        w > h * 2 && w <= 500,
        "logo.png should be about 250x100, is {w}x{h}"
    );
}

#[test]
fn apparmor_profile_is_named_after_the_slug() {
    let profile = read("apparmor.txt");
    let slug = str_of(&config(), "slug").to_owned();
    let top = profile
        .lines()
        .find(|l| l.starts_with("profile "))
        .expect("a top-level profile");
    assert_eq!(top.split_whitespace().nth(1), Some(slug.as_str()));
    assert!(
        profile.contains("/usr/bin/thinq-addon cx ->"),
        "the binary runs in a child profile"
    );
    assert!(profile.contains("/data/** rw"));
    assert!(profile.contains("network inet stream"));
    assert_eq!(
        profile.matches('{').count(),
        profile.matches('}').count(),
        "unbalanced braces"
    );
}

#[test]
fn repository_yaml_points_at_the_project() {
    let repository = yaml_with_only("repository.yaml", &["name", "url", "maintainer"]);
    assert!(!str_of(&repository, "name").is_empty());
    assert_eq!(
        str_of(&repository, "url"),
        "https://github.com/thinq-addon/thinq-addon"
    );
}

#[test]
fn docs_explain_the_token_and_every_thinq_error_code() {
    let docs = read("DOCS.md");
    assert!(docs.contains("https://connect-pat.lgthinq.com"));
    assert!(
        docs.contains("QR"),
        "DOCS.md must warn about QR-code logins"
    );
    for scope in [
        "Permission to view all devices",
        "Permission to view all device statuses",
        "All device control rights",
        "All device event subscription rights",
        "All device push notification permissions",
    ] {
        assert!(docs.contains(scope), "DOCS.md lacks the scope {scope}");
    }
    // thinq-api.md §1.4: the SDK's codes plus 1314 (live rate limit) and the local 0001.
    let codes = "0000 0001 1000 1101 1102 1103 1104 1201 1202 1203 1204 1205 1206 1207 1208 1209 \
                 1210 1211 1212 1213 1214 1216 1217 1218 1219 1220 1221 1222 1223 1224 1225 1301 \
                 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312 1314 2000 2101 2201 2202 \
                 2203 2205 2207 2208 2209 2210 2212 2213 2214 2301 2302 2303 2304 2305";
    for code in codes.split_whitespace() {
        assert!(
            docs.contains(&format!("| {code} |")),
            "DOCS.md lacks a row for error {code}"
        );
    }
    for key in OPTION_KEYS {
        assert!(
            docs.contains(&format!("`{key}`")),
            "DOCS.md does not explain `{key}`"
        );
    }
}

#[test]
fn changelog_has_this_version() {
    let changelog = read("CHANGELOG.md");
    let heading = format!("## [{}]", env!("CARGO_PKG_VERSION"));
    assert!(
        changelog.lines().any(|l| l.starts_with(&heading)),
        "CHANGELOG.md lacks {heading}"
    );
}

/// The release workflow must publish exactly what the Supervisor will pull: config.yaml's
/// `image:` at config.yaml's version, for config.yaml's architectures. A mismatch means
/// "image not found" on every install, so it fails here rather than after a release.
#[test]
fn release_workflow_publishes_the_image_and_version_config_yaml_names() {
    let config = config();
    let workflow: Mapping = serde_yaml::from_str(&read(".github/workflows/release.yaml"))
        .expect("release.yaml is YAML");
    let env = get(&workflow, "env")
        .and_then(Value::as_mapping)
        .expect("release.yaml has a top-level env");
    let published = format!(
        "{}/{}",
        str_of(env, "REGISTRY_PREFIX"),
        str_of(env, "IMAGE_NAME")
    );
    assert_eq!(
        published,
        str_of(&config, "image"),
        "workflow image != config.yaml image"
    );

    let architectures: BTreeSet<String> =
        serde_json::from_str(str_of(env, "ARCHITECTURES")).expect("ARCHITECTURES is JSON");
    let config_arch: BTreeSet<String> = get(&config, "arch")
        .and_then(Value::as_sequence)
        .expect("arch list")
        .iter()
        .map(|a| a.as_str().expect("arch string").to_owned())
        .collect();
    assert_eq!(
        architectures, config_arch,
        "workflow architectures != config.yaml arch"
    );

    let on = get(&workflow, "on")
        .and_then(Value::as_mapping)
        .expect("on:");
    let tags = on
        .get("push")
        .and_then(|push| push.get("tags"))
        .and_then(Value::as_sequence)
        .expect("on.push.tags");
    assert!(
        tags.contains(&Value::String("v*".into())),
        "released on v* tags"
    );
    assert!(on.contains_key("workflow_dispatch"), "can be run by hand");

    // The tag is the version, read from config.yaml (whose version equals Cargo.toml's, see
    // config_describes_this_addon), and that version is the image tag.
    let text = read(".github/workflows/release.yaml");
    assert!(text.contains("version=$(yq -r '.version' config.yaml)"));
    assert!(text.contains(r#"[ "$REF_NAME" != "v$version" ]"#));
    assert_eq!(
        text.matches("image-tags: |\n            ${{ needs.prepare.outputs.version }}\n")
            .count(),
        2,
        "the per-arch images and the manifest are tagged with the version"
    );
    for action in [
        "prepare-multi-arch-matrix",
        "build-image",
        "publish-multi-arch-manifest",
    ] {
        assert!(
            text.contains(&format!("uses: home-assistant/builder/actions/{action}@")),
            "release.yaml does not use the builder's {action}"
        );
    }
}
