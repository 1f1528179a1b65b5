//! The Kubernetes manifests of `deploy/k8s/` against the binary they run (issue #23): every
//! flag in a container's arguments is one `milkrun SUBCOMMAND --help` lists, and the required
//! ones are there; every `$(VAR)` is a variable of the container, every secret key it reads is
//! in the secrets' template; ports agree (the `--listen` port, the container port, the
//! probes, the Service's target); the gRPC probes name services the real server reports
//! SERVING; the tenants template is a configuration `milkrun serve` loads; KEDA scales the
//! worker Deployment on the stream and consumer the worker uses.
use crate::serve_support::start;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use milkrun_service::night_queue::{JOB_STREAM, WORKERS_CONSUMER};
use serde::Deserialize;
use serde_json::Value;

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("deploy")
        .join("k8s")
}

/// Every document of every manifest named by the kustomization, by kind.
fn manifests() -> BTreeMap<String, Vec<Value>> {
    let dir = deploy_dir();
    let kustomization: Value = serde_yaml::from_str(
        &std::fs::read_to_string(dir.join("kustomization.yaml")).expect("kustomization.yaml"),
    )
    .expect("kustomization.yaml is YAML");
    let mut by_kind: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let files = kustomization["resources"].as_array().expect("resources");
    assert!(!files.is_empty());
    for file in files {
        let name = file.as_str().expect("a file name");
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            let kind = v["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no kind"));
            assert!(
                v["apiVersion"].is_string(),
                "{name}: {kind} has no apiVersion"
            );
            by_kind.entry(kind.to_string()).or_default().push(v);
        }
    }
    by_kind
}

fn named<'a>(docs: &'a BTreeMap<String, Vec<Value>>, kind: &str, name: &str) -> &'a Value {
    docs.get(kind)
        .and_then(|v| v.iter().find(|d| d["metadata"]["name"] == name))
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The long flags `milkrun SUBCOMMAND --help` lists, and those it marks required (shown in
/// the usage line without brackets).
fn flags_of(sub: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_milkrun"))
        .args([sub, "--help"])
        .output()
        .expect("milkrun runs");
    assert!(out.status.success(), "milkrun {sub} --help");
    let help = String::from_utf8(out.stdout).expect("utf-8");
    let flag = |w: &str| {
        w.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .to_string()
    };
    let all = help
        .split_whitespace()
        .filter(|w| w.trim_start_matches('[').starts_with("--"))
        .map(|w| flag(w.trim_start_matches('[')))
        .collect();
    let usage = help
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .expect("usage");
    let required = usage
        .split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(flag)
        .collect();
    (all, required)
}

/// The one container of a Deployment.
fn container(deployment: &Value) -> &Value {
    let cs = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(cs.len(), 1);
    &cs[0]
}

fn args(c: &Value) -> Vec<String> {
    c["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string argument").to_string())
        .collect()
}

/// The value after `flag` in `args`.
fn arg_after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    &args[i + 1]
}

/// Checks a container's arguments against the binary and its variables against the secrets.
fn check_container(c: &Value, secrets: &BTreeMap<String, BTreeSet<String>>) {
    let args = args(c);
    let (all, required) = flags_of(&args[0]);
    for a in args.iter().filter(|a| a.starts_with("--")) {
        assert!(
            all.contains(a),
            "milkrun {} has no flag {a}: {all:?}",
            args[0]
        );
    }
    for r in &required {
        assert!(args.contains(r), "milkrun {} needs {r}: {args:?}", args[0]);
    }
    let env: BTreeMap<String, &Value> = c["env"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|v| (v["name"].as_str().expect("a name").to_string(), v))
                .collect()
        })
        .unwrap_or_default();
    for a in &args {
        if let Some(var) = a.strip_prefix("$(").and_then(|v| v.strip_suffix(')')) {
            assert!(
                env.contains_key(var),
                "{var} is not a variable of the container"
            );
        }
    }
    for (name, v) in &env {
        if let Some(r) = v.get("valueFrom").and_then(|f| f.get("secretKeyRef")) {
            let secret = r["name"].as_str().expect("secret name");
            let key = r["key"].as_str().expect("secret key");
            assert!(
                secrets.get(secret).is_some_and(|keys| keys.contains(key)),
                "{name} reads {secret}/{key}, not in the secrets' template"
            );
        }
    }
}

/// The manifests against the binary, and the probes against the real server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_match_the_binary() {
    let docs = manifests();
    let secrets: BTreeMap<String, BTreeSet<String>> = docs["Secret"]
        .iter()
        .map(|s| {
            let keys = s["stringData"]
                .as_object()
                .expect("stringData")
                .keys()
                .cloned()
                .collect();
            (
                s["metadata"]["name"].as_str().expect("name").to_string(),
                keys,
            )
        })
        .collect();

    // serve: flags, variables, ports, probes, the tenants file.
    let serve = named(&docs, "Deployment", "milkrun-serve");
    let c = container(serve);
    check_container(c, &secrets);
    let serve_args = args(c);
    assert_eq!(serve_args[0], "serve");
    assert_eq!(
        arg_after(&serve_args, "--nats"),
        "$(MILKRUN_NATS_URL)",
        "serve hands its batch jobs to the workers' queue"
    );
    let listen: std::net::SocketAddr = arg_after(&serve_args, "--listen")
        .parse()
        .expect("an address");
    assert!(
        listen.ip().is_unspecified(),
        "serve listens on every interface in a pod"
    );
    let port = c["ports"][0]["containerPort"]
        .as_u64()
        .expect("a container port");
    assert_eq!(port, u64::from(listen.port()));
    let port_name = c["ports"][0]["name"].as_str().expect("a port name");
    let mut probe_services = BTreeSet::new();
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let grpc = &c[probe]["grpc"];
        assert_eq!(
            grpc["port"].as_u64(),
            Some(port),
            "{probe} on the gRPC port"
        );
        probe_services.insert(grpc["service"].as_str().unwrap_or("").to_string());
    }
    let service = named(&docs, "Service", "milkrun-serve");
    assert_eq!(
        service["spec"]["selector"],
        serve["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(service["spec"]["ports"][0]["targetPort"], port_name);
    let config_path = PathBuf::from(arg_after(&serve_args, "--config"));
    let mount = &c["volumeMounts"][0];
    assert_eq!(
        config_path.parent().and_then(|p| p.to_str()),
        mount["mountPath"].as_str()
    );
    let volume = serve["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    let tenants_secret = named(
        &docs,
        "Secret",
        volume["secret"]["secretName"]
            .as_str()
            .expect("a secret volume"),
    );
    let file_name = config_path
        .file_name()
        .and_then(|f| f.to_str())
        .expect("a file");
    let tenants = tenants_secret["stringData"][file_name]
        .as_str()
        .expect("the tenants file in the secret");
    let tmp = std::env::temp_dir().join(format!("milkrun-deploy-{}.json", std::process::id()));
    std::fs::write(&tmp, tenants).expect("written");
    let loaded = milkrun_service::serve::config::ServeConfig::load(&tmp);
    let _ = std::fs::remove_file(&tmp);
    assert!(
        loaded.is_ok(),
        "the tenants template loads: {:?}",
        loaded.err()
    );

    // worker: flags, variables; KEDA on its stream and consumer.
    let worker = named(&docs, "Deployment", "milkrun-worker");
    let wc = container(worker);
    check_container(wc, &secrets);
    assert_eq!(args(wc)[0], "worker");
    let scaled = named(&docs, "ScaledObject", "milkrun-worker");
    assert_eq!(scaled["spec"]["scaleTargetRef"]["name"], "milkrun-worker");
    let trigger = &scaled["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "nats-jetstream");
    assert_eq!(trigger["metadata"]["stream"], JOB_STREAM);
    assert_eq!(trigger["metadata"]["consumer"], WORKERS_CONSUMER);

    // The probes' services are SERVING on the real server.
    let osm = milkrun_datasets::data_dir()
        .join("osm")
        .join("andorra.osm.pbf");
    let server = start(&[
        "--dev-key",
        "deploy-key",
        "--osm",
        osm.to_str().expect("utf-8"),
    ]);
    let channel = tonic::transport::Channel::from_shared(server.url())
        .expect("a URL")
        .connect()
        .await
        .expect("connects");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    for s in &probe_services {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest { service: s.clone() })
            .await
            .unwrap_or_else(|e| panic!("health of {s:?}: {e}"))
            .into_inner()
            .status;
        assert_eq!(status, 1, "{s:?} is SERVING");
    }
}
