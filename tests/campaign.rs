//! Campaigns end to end: run, kill and resume, damaged samples, the summary.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{PINCH, campaign_summary, json, pinch, pinch_mpi, stderr, stored_entries, success};

/// A campaign small enough for a test: N = 500 at two temperatures far above T_onset (short τ_α).
const CAMPAIGN: &str = r#"
name = "tiny"
seed = 5
sizes = [500]
parent_temperatures = [3.0, 2.0]
[sampling]
chains = 2
samples_per_chain = 2
equilibration_tau_alpha = 3
spacing_tau_alpha = 1
min_sweeps = 400
max_lag = 1000
origin_interval = 50
[measurements]
modes = 12
dipoles = 16
"#;

fn write_campaign(directory: &Path) {
    std::fs::write(directory.join("tiny.toml"), CAMPAIGN).unwrap();
}

/// Every stored entry's name, once per copy; no part file is unreadable.
fn stored_tiny_entries(directory: &Path) -> Vec<String> {
    let output = success(&pinch(
        directory,
        &["campaign", "status", "tiny.toml", "--json"],
    ));
    let report: serde_json::Value = serde_json::from_str(&output).unwrap();
    assert_eq!(report["unreadable_files"].as_array().unwrap().len(), 0);
    stored_entries(&directory.join("tiny/results"))
}

#[test]
fn a_killed_campaign_resumes_without_redoing_anything_and_gives_the_same_summary() {
    let reference = tempfile::tempdir().unwrap();
    write_campaign(reference.path());
    // Two workers of one rank each.
    success(&pinch_mpi(
        reference.path(),
        2,
        &["campaign", "run", "tiny.toml", "--ranks-per-worker", "1"],
    ));
    let expected = campaign_summary(reference.path(), "tiny");
    assert_eq!(expected["points"].as_array().unwrap().len(), 2);
    assert_eq!(expected["excluded_samples"], 0);
    // A second run finds nothing to do.
    let again = pinch(reference.path(), &["campaign", "run", "tiny.toml"]);
    success(&again);
    assert!(
        stderr(&again).contains("0 chains to run"),
        "{}",
        stderr(&again)
    );

    // One worker, killed (SIGKILL: no chance to checkpoint) at several moments, then resumed.
    let killed = tempfile::tempdir().unwrap();
    write_campaign(killed.path());
    for delay in [1.5, 2.5, 3.5] {
        let mut child = Command::new(PINCH)
            .args(["campaign", "run", "tiny.toml"])
            .current_dir(killed.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs_f64(delay));
        let _ = child.kill();
        child.wait().unwrap();
    }
    success(&pinch(killed.path(), &["campaign", "run", "tiny.toml"]));
    let names = stored_tiny_entries(killed.path());
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "an entry was stored twice");
    assert_eq!(names.len(), 8 + 4, "{names:?}");
    assert_eq!(campaign_summary(killed.path(), "tiny"), expected);
}

#[test]
fn a_damaged_sample_is_detected_excluded_and_redone() {
    let directory = tempfile::tempdir().unwrap();
    write_campaign(directory.path());
    success(&pinch(directory.path(), &["campaign", "run", "tiny.toml"]));
    let expected = campaign_summary(directory.path(), "tiny");

    // Flip bits inside the stored eigenvalues of one sample.
    let id = "N500-T2-chain1-sample0";
    let part = std::fs::read_dir(directory.path().join("tiny/results"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "h5")
                && hdf5::File::open(p)
                    .unwrap()
                    .group(&format!("samples/{id}"))
                    .is_ok()
        })
        .unwrap();
    let values = hdf5::File::open(&part)
        .unwrap()
        .dataset(&format!("samples/{id}/modes/eigenvalues"))
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    let needle: Vec<u8> = values[..4].iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut bytes = std::fs::read(&part).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .expect("the eigenvalues are stored as they are");
    bytes[at + 9] ^= 0x04;
    std::fs::write(&part, bytes).unwrap();

    let status = success(&pinch(
        directory.path(),
        &["campaign", "status", "tiny.toml", "--verify"],
    ));
    assert!(
        status.contains(&"damaged (fails its checksums".to_string()) && status.contains(id),
        "{status}"
    );
    let damaged = campaign_summary(directory.path(), "tiny");
    assert_eq!(damaged["excluded_samples"], 1, "{damaged}");
    assert!(
        damaged["exclusions"][0].as_str().unwrap().contains(id),
        "{damaged}"
    );
    // Redone on request, the campaign is whole again.
    let output = pinch(
        directory.path(),
        &["campaign", "run", "tiny.toml", "--verify"],
    );
    success(&output);
    assert!(
        stderr(&output).contains("will be redone"),
        "{}",
        stderr(&output)
    );
    assert_eq!(campaign_summary(directory.path(), "tiny"), expected);
}

#[test]
fn a_bad_description_is_refused_before_anything_runs() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("bad.toml"),
        "name = \"bad\"\nsizes = [500]\nparent_temperatures = [1.0]\n[sampling]\nsamples_per_chain = 0\n",
    )
    .unwrap();
    let output = pinch(directory.path(), &["campaign", "run", "bad.toml"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("bad.toml")
            && message.contains("[sampling]")
            && message.contains("samples_per_chain"),
        "{message}"
    );
    assert!(!directory.path().join("bad").exists());
    // A changed description is refused in an existing campaign directory.
    write_campaign(directory.path());
    std::fs::create_dir_all(directory.path().join("tiny")).unwrap();
    std::fs::write(
        directory.path().join("tiny/campaign.toml"),
        CAMPAIGN.replace("seed = 5", "seed = 6"),
    )
    .unwrap();
    let output = pinch(directory.path(), &["campaign", "run", "tiny.toml"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("seed"), "{}", stderr(&output));
}

/// Every stored entry of `kind` (`chains` or `samples`) with its attributes, by name.
fn stored_attributes(
    results: &Path,
    kind: &str,
) -> std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>> {
    let mut entries = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(results).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "h5") {
            let file = hdf5::File::open(&path).unwrap();
            if let Ok(group) = file.group(kind) {
                for name in group.member_names().unwrap() {
                    let member = group.group(&name).unwrap();
                    entries.insert(name, pinch::io::h5md::read_attributes(&member).unwrap());
                }
            }
        }
    }
    entries
}

#[test]
fn ladder_starts_and_branches_start_where_the_description_says_and_do_not_depend_on_workers() {
    let description = CAMPAIGN
        .replace(
            "chains = 2\n",
            "chains = 3\nstart = \"ladder\"\nbranches = 2\n",
        )
        .replace(
            "parent_temperatures = [3.0, 2.0]",
            "parent_temperatures = [2.0, 3.0]",
        );
    let one = tempfile::tempdir().unwrap();
    std::fs::write(one.path().join("tiny.toml"), &description).unwrap();
    success(&pinch(one.path(), &["campaign", "run", "tiny.toml"]));
    let chains = stored_attributes(&one.path().join("tiny/results"), "chains");
    let start = |id: &str| {
        chains[id]
            .get("start")
            .and_then(|s| s.as_str())
            .map(str::to_owned)
    };
    let number = |id: &str, key: &str| chains[id][key].as_f64().unwrap();
    // Chains 0 and 2 are trunks, chain 1 a branch of chain 0; at T_p = 2.0 the trunks start from
    // the stationary states of the same chains at 3.0, the hotter neighbour whatever the file's order.
    for (chain, expected) in [
        ("N500-T3-chain0", None),
        ("N500-T3-chain2", None),
        ("N500-T3-chain1", Some("branch of N500-T3-chain0")),
        ("N500-T2-chain0", Some("ladder from N500-T3-chain0")),
        ("N500-T2-chain2", Some("ladder from N500-T3-chain2")),
        ("N500-T2-chain1", Some("branch of N500-T2-chain0")),
    ] {
        assert_eq!(start(chain).as_deref(), expected, "{chain}");
    }
    for (branch, trunk) in [
        ("N500-T3-chain1", "N500-T3-chain0"),
        ("N500-T2-chain1", "N500-T2-chain0"),
    ] {
        // A branch takes its first sample one spacing after its trunk's stationary state.
        assert_eq!(
            number(branch, "equilibrated_at"),
            number(trunk, "equilibrated_at") + number(trunk, "sample_spacing")
        );
        assert_eq!(number(branch, "tau_alpha"), number(trunk, "tau_alpha"));
        assert_ne!(chains[branch]["seed"], chains[trunk]["seed"]);
    }
    let kept = |id: &str| {
        one.path()
            .join(format!("tiny/chains/{id}.stationary.h5"))
            .exists()
    };
    // Every trunk keeps its stationary state (chains added later may start from it); branches do not.
    for trunk in [
        "N500-T3-chain0",
        "N500-T2-chain0",
        "N500-T3-chain2",
        "N500-T2-chain2",
    ] {
        assert!(kept(trunk), "{trunk}");
    }
    assert!(!kept("N500-T3-chain1") && !kept("N500-T2-chain1"));
    // The ladder's burn-in lets a trunk at 2.0 pass its test before a random start could (at 32
    // τ_α at least: four blocks of 2 τ_α in each half of the run's second half).
    for trunk in ["N500-T2-chain0", "N500-T2-chain2"] {
        let passed = number(trunk, "equilibrated_at") / number(trunk, "tau_alpha");
        assert!(passed < 32.0, "{trunk} passed at {passed} tau_alpha");
    }
    let samples = stored_attributes(&one.path().join("tiny/results"), "samples");
    assert_eq!(samples.len(), 12);
    // The cost model sees the stored chains' sweeps (a branch's own, not its trunk's) and is near them.
    let status = json(&pinch(
        one.path(),
        &["campaign", "status", "tiny.toml", "--json"],
    ));
    let estimate = &status["estimate"];
    assert!(estimate["core_hours"].as_f64().unwrap() > 0.0, "{estimate}");
    let stored = estimate["stored_chain_sweeps"].as_f64().unwrap();
    let modelled = estimate["estimated_sweeps_of_stored_chains"]
        .as_f64()
        .unwrap();
    assert!((modelled / stored - 1.0).abs() < 0.5, "{estimate}");
    let expected = campaign_summary(one.path(), "tiny");
    for point in expected["points"].as_array().unwrap() {
        // Two trunks (families) per point, as the bootstrap counts them.
        assert_eq!(point["chains"], 2, "{point}");
    }

    // Two workers: the lineage goes to one of them whole, and every sample is the same.
    let two = tempfile::tempdir().unwrap();
    std::fs::write(two.path().join("tiny.toml"), &description).unwrap();
    success(&pinch_mpi(
        two.path(),
        2,
        &["campaign", "run", "tiny.toml", "--ranks-per-worker", "1"],
    ));
    assert_eq!(campaign_summary(two.path(), "tiny"), expected);
}
