//! The VROOM face: a hand-checkable problem with `matrices` solved end to end and rechecked
//! from the returned steps alone, and hostile inputs each refused with an error naming the
//! field.

use std::collections::HashMap;

use milkrun_service::compat::vroom::{self, Roads, VroomCode, VroomError};
use milkrun_vrp::SolverOptions;
use serde_json::{json, Value};

/// Six places on a line, 100 s apart: the depot 0 and places 1..=5.
fn durations() -> Vec<Vec<u32>> {
    (0..6u32)
        .map(|i| (0..6u32).map(|j| i.abs_diff(j) * 100).collect())
        .collect()
}

/// Two vehicles (capacity 2 without skills; capacity 3 with skill 7 and a working window),
/// four jobs (one needs skill 7, one has a window that makes the vehicle wait), a shipment,
/// and a job whose window closes before any vehicle can reach it.
fn problem() -> Value {
    json!({
        "vehicles": [
            {"id": 1, "start_index": 0, "end_index": 0, "capacity": [2]},
            {"id": 2, "start_index": 0, "end_index": 0, "capacity": [3], "skills": [7],
             "time_window": [0, 10000]}
        ],
        "jobs": [
            {"id": 10, "location_index": 1, "delivery": [1], "service": 30},
            {"id": 11, "location_index": 2, "delivery": [1], "service": 30},
            {"id": 12, "location_index": 3, "delivery": [1], "skills": [7]},
            {"id": 13, "location_index": 4, "delivery": [1], "time_windows": [[1000, 1100]]},
            {"id": 14, "location_index": 5, "delivery": [1], "time_windows": [[0, 10]]}
        ],
        "shipments": [
            {"pickup": {"id": 20, "location_index": 2, "service": 10},
             "delivery": {"id": 20, "location_index": 1, "service": 10},
             "amount": [1]}
        ],
        "matrices": {"car": {"durations": durations()}}
    })
}

fn options() -> SolverOptions {
    SolverOptions {
        seed: 7,
        iteration_limit: Some(300),
        ..Default::default()
    }
}

fn solve(v: &Value) -> Result<Value, VroomError> {
    let body = serde_json::to_vec(v).unwrap();
    vroom::solve(&body, &Roads::none(), &options()).map(|o| serde_json::to_value(o).unwrap())
}

fn num(v: &Value) -> i64 {
    v.as_i64().unwrap()
}

/// The problem is solved, and the answer passes a check that uses only the input and the
/// returned steps: every task once or unassigned, shipments picked up before delivery on the
/// same route, skills held, loads as the tasks imply and within capacity, service inside a
/// window, arrivals consistent with the matrix, waiting and service, and the working window.
#[test]
fn hand_checkable_problem_solved_and_rechecked() {
    let input = problem();
    let out = solve(&input).unwrap();
    assert_eq!(out["code"], 0);
    let m = durations();
    let jobs: HashMap<u64, &Value> = input["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["id"].as_u64().unwrap(), j))
        .collect();
    let vehicles: HashMap<u64, &Value> = input["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_u64().unwrap(), v))
        .collect();
    let mut seen: HashMap<(String, u64), usize> = HashMap::new();
    for u in out["unassigned"].as_array().unwrap() {
        *seen
            .entry((
                u["type"].as_str().unwrap().to_string(),
                u["id"].as_u64().unwrap(),
            ))
            .or_default() += 1;
    }
    for route in out["routes"].as_array().unwrap() {
        let v = vehicles[&route["vehicle"].as_u64().unwrap()];
        let capacity = num(&v["capacity"][0]);
        let has_skill_7 = v["skills"]
            .as_array()
            .is_some_and(|s| s.contains(&json!(7)));
        let (tw_start, tw_end) = match v["time_window"].as_array() {
            Some(w) => (num(&w[0]), num(&w[1])),
            None => (0, i64::MAX),
        };
        let steps = route["steps"].as_array().unwrap();
        assert_eq!(steps[0]["type"], "start");
        assert_eq!(steps[steps.len() - 1]["type"], "end");
        // Start load: every job delivery on the route is on board when leaving.
        let on_board: i64 = steps
            .iter()
            .filter(|s| s["type"] == "job")
            .map(|s| num(&jobs[&s["id"].as_u64().unwrap()]["delivery"][0]))
            .sum();
        let mut load = on_board;
        let mut picked_up = Vec::new();
        let (mut prev_loc, mut prev_departure) = (0usize, 0i64);
        for (k, s) in steps.iter().enumerate() {
            let kind = s["type"].as_str().unwrap();
            let loc = s["location_index"].as_u64().unwrap() as usize;
            let (arrival, wait, service) = (
                num(&s["arrival"]),
                num(&s["waiting_time"]),
                num(&s["service"]),
            );
            if k == 0 {
                assert!(arrival >= tw_start, "departs before the working window");
            } else {
                assert_eq!(
                    arrival,
                    prev_departure + i64::from(m[prev_loc][loc]),
                    "arrival at step {k} of vehicle {}",
                    route["vehicle"]
                );
            }
            match kind {
                "job" => {
                    let id = s["id"].as_u64().unwrap();
                    let j = jobs[&id];
                    load -= num(&j["delivery"][0]);
                    if j["skills"].is_array() {
                        assert!(has_skill_7, "job {id} needs skill 7");
                    }
                    if let Some(w) = j["time_windows"].as_array() {
                        let start = arrival + wait;
                        assert!(
                            w.iter().any(|w| num(&w[0]) <= start && start <= num(&w[1])),
                            "job {id} starts at {start}, outside its windows"
                        );
                    }
                    *seen.entry(("job".into(), id)).or_default() += 1;
                }
                "pickup" => {
                    load += 1;
                    picked_up.push(s["id"].as_u64().unwrap());
                    *seen
                        .entry(("pickup".into(), s["id"].as_u64().unwrap()))
                        .or_default() += 1;
                }
                "delivery" => {
                    load -= 1;
                    let id = s["id"].as_u64().unwrap();
                    assert!(picked_up.contains(&id), "shipment {id} delivered first");
                    *seen.entry(("delivery".into(), id)).or_default() += 1;
                }
                "end" => assert!(arrival <= tw_end, "returns after the working window"),
                _ => {}
            }
            assert_eq!(num(&s["load"][0]), load, "load after step {k}");
            assert!(
                (0..=capacity).contains(&load),
                "load {load} over {capacity}"
            );
            prev_loc = loc;
            prev_departure = arrival + wait + service;
        }
    }
    for id in [10u64, 11, 12, 13, 14] {
        assert_eq!(seen.get(&("job".into(), id)), Some(&1), "job {id}");
    }
    assert_eq!(seen.get(&("pickup".into(), 20)), Some(&1));
    assert_eq!(seen.get(&("delivery".into(), 20)), Some(&1));
    // The job whose window closes at 10 s lies 500 s away: it must be unassigned.
    let unassigned = out["unassigned"].as_array().unwrap();
    assert_eq!(unassigned.len(), 1, "{unassigned:?}");
    assert_eq!(unassigned[0]["id"], 14);
    assert_eq!(out["summary"]["unassigned"], 1);
    assert_eq!(out["summary"]["delivery"], json!([5]));
    // Four deliveries and a shipment do not fit in one vehicle: capacity binds.
    assert_eq!(out["routes"].as_array().unwrap().len(), 2);
    assert!(out["summary"].get("distance").is_none());
    // The window of job 13 binds: service starts at 1000 s at the earliest.
    let step13 = out["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["steps"].as_array().unwrap())
        .find(|s| s["type"] == "job" && s["id"] == 13)
        .unwrap();
    assert!(num(&step13["arrival"]) + num(&step13["waiting_time"]) >= 1000);
}

/// With a distance matrix, the routes carry distances that sum into the summary.
#[test]
fn distances_summed_when_given() {
    let mut input = problem();
    input["matrices"]["car"]["distances"] = json!(durations()
        .iter()
        .map(|r| r.iter().map(|d| d * 10).collect::<Vec<_>>())
        .collect::<Vec<_>>());
    let out = solve(&input).unwrap();
    let total: i64 = out["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| num(&r["distance"]))
        .sum();
    assert_eq!(num(&out["summary"]["distance"]), total);
    assert_eq!(total, 10 * num(&out["summary"]["duration"]));
}

/// Asserts that `body` is refused with an input error whose path contains `field`.
fn refused(body: &[u8], field: &str) -> VroomError {
    let e = vroom::solve(body, &Roads::none(), &options()).unwrap_err();
    assert_eq!(e.code(), VroomCode::Input, "{e}");
    assert_eq!(e.body().code, 2);
    assert!(
        e.path().is_some_and(|p| p.contains(field)),
        "expected the field `{field}` in: {e}"
    );
    e
}

fn with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = problem();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

/// Malformed JSON and NaN (not JSON) are refused at the field where reading stopped.
#[test]
fn malformed_json_and_nan() {
    refused(
        br#"{"vehicles": [{"id": 1, "start_index": }]}"#,
        "vehicles[0].start_index",
    );
    refused(
        br#"{"vehicles": [], "jobs": [{"id": 1, "service": NaN}]}"#,
        "jobs[0].service",
    );
    refused(
        br#"{"vehicles": [{"id": 1, "start_index": 0}]} trailing"#,
        ".",
    );
}

/// A negative, fractional or too large service time is refused naming it.
#[test]
fn negative_fractional_huge_numbers() {
    for bad in [json!(-5), json!(1.5), json!(1e12)] {
        refused(
            &with(|v| v["jobs"][1]["service"] = bad.clone()),
            "jobs[1].service",
        );
    }
    refused(
        &with(|v| v["jobs"][0]["priority"] = json!(101)),
        "jobs[0].priority",
    );
}

/// A location index beyond the matrix, or missing with `matrices`, is refused naming it.
#[test]
fn unknown_location_index() {
    refused(
        &with(|v| v["jobs"][2]["location_index"] = json!(99)),
        "jobs[2].location_index",
    );
    refused(
        &with(|v| v["shipments"][0]["delivery"]["location_index"] = json!(6)),
        "shipments[0].delivery.location_index",
    );
    refused(
        &with(|v| {
            v["jobs"][0]
                .as_object_mut()
                .unwrap()
                .remove("location_index");
        }),
        "jobs[0].location_index",
    );
}

/// Duplicate job and vehicle ids are refused naming the second one.
#[test]
fn duplicate_ids() {
    refused(&with(|v| v["jobs"][3]["id"] = json!(10)), "jobs[3].id");
    refused(
        &with(|v| v["vehicles"][1]["id"] = json!(1)),
        "vehicles[1].id",
    );
}

/// 10^6 jobs declared in one array are refused at the list's limit while reading, without
/// reading (or allocating) the rest.
#[test]
fn a_million_jobs_is_bounded() {
    let mut body = String::from(r#"{"vehicles": [{"id": 1, "start_index": 0}], "jobs": ["#);
    body.push_str(&vec![r#"{"id": 1}"#; 1_000_000].join(","));
    body.push_str("]}");
    let e = refused(body.as_bytes(), "jobs");
    assert!(e.to_string().contains("4000"), "{e}");
}

/// Unknown keys, a break's load limit, a break outside the working window, duplicate break
/// ids, reversed windows, mixed profiles, mismatched amount dimensions and a matrix that is
/// not square are refused naming the field.
#[test]
fn unsupported_or_inconsistent_fields() {
    refused(&with(|v| v["jobs"][0]["colour"] = json!("red")), "jobs[0]");
    refused(
        &with(|v| {
            v["vehicles"][0]["breaks"] =
                json!([{"id": 1, "time_windows": [[0, 10]], "max_load": [1]}])
        }),
        "vehicles[0].breaks[0].max_load",
    );
    refused(
        &with(|v| {
            v["vehicles"][1]["breaks"] = json!([{"id": 1, "time_windows": [[20000, 20010]]}])
        }),
        "vehicles[1].breaks[0].time_windows",
    );
    refused(
        &with(|v| v["vehicles"][0]["breaks"] = json!([{"id": 4}, {"id": 4}])),
        "vehicles[0].breaks[1].id",
    );
    refused(
        &with(|v| v["vehicles"][1]["breaks"] = json!([{"id": 1, "service": 20000}])),
        "vehicles[1].breaks[0].service",
    );
    refused(
        &with(|v| v["jobs"][0]["time_windows"] = json!([[50, 10]])),
        "jobs[0].time_windows[0]",
    );
    refused(
        &with(|v| v["vehicles"][1]["profile"] = json!("bike")),
        "vehicles[1].profile",
    );
    refused(
        &with(|v| v["jobs"][1]["delivery"] = json!([1, 2])),
        "jobs[1].delivery",
    );
    refused(
        &with(|v| v["matrices"]["car"]["durations"][2] = json!([0, 1])),
        "matrices.car.durations[2]",
    );
    refused(
        &with(|v| v["jobs"][0]["pickup"] = json!([1])),
        "jobs[0].pickup",
    );
    refused(
        &with(|v| v["vehicles"][0]["max_tasks"] = json!(3)),
        "vehicles[0].max_tasks",
    );
}

/// Without matrices and without roads for the profile, the problem is refused naming the
/// vehicle's profile.
#[test]
fn no_roads_for_profile() {
    let body = with(|v| {
        v.as_object_mut().unwrap().remove("matrices");
    });
    refused(&body, "vehicles[0].profile");
}

/// When not every job fits (one vehicle of capacity 1, two jobs), the higher priority is
/// served, as VROOM does; the summary counts its priority.
#[test]
fn higher_priority_served_first() {
    let input = json!({
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [1]}],
        "jobs": [
            {"id": 1, "location_index": 1, "delivery": [1], "priority": 0},
            {"id": 2, "location_index": 5, "delivery": [1], "priority": 50}
        ],
        "matrices": {"car": {"durations": durations()}}
    });
    let out = solve(&input).unwrap();
    assert_eq!(out["unassigned"][0]["id"], 1);
    assert_eq!(out["unassigned"][0]["reason"], "fleet");
    assert_eq!(out["routes"][0]["steps"][1]["id"], 2);
    assert_eq!(out["summary"]["priority"], 50);
}

/// A vehicle with only an end has no start step and no travel before its first task; one
/// with only a start has an open route without an end step; no jobs gives no routes.
#[test]
fn open_starts_and_ends() {
    let input = json!({
        "vehicles": [{"id": 1, "end_index": 0}],
        "jobs": [{"id": 1, "location_index": 3}],
        "matrices": {"car": {"durations": durations()}}
    });
    let out = solve(&input).unwrap();
    let steps = out["routes"][0]["steps"].as_array().unwrap();
    let kinds: Vec<&str> = steps.iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["job", "end"]);
    assert_eq!(steps[0]["duration"], 0);
    assert_eq!(steps[1]["duration"], 300);
    let input = json!({
        "vehicles": [{"id": 1, "start_index": 0}],
        "jobs": [{"id": 1, "location_index": 3}],
        "matrices": {"car": {"durations": durations()}}
    });
    let out = solve(&input).unwrap();
    let kinds: Vec<&str> = out["routes"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["start", "job"]);
    assert_eq!(out["summary"]["duration"], 300);
    let input = json!({
        "vehicles": [{"id": 1, "start_index": 0}],
        "matrices": {"car": {"durations": durations()}}
    });
    let out = solve(&input).unwrap();
    assert_eq!(out["routes"], json!([]));
    assert_eq!(out["summary"]["unassigned"], 0);
    refused(
        br#"{"vehicles": [{"id": 1}], "matrices": {"car": {"durations": [[0]]}}}"#,
        "vehicles[0]",
    );
}

/// A solve cancelled before it starts still answers (code 0), with every task either in a
/// route or unassigned: the caller's cancel flag reaches the solver.
#[test]
fn cancelled_solve_still_answers() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let options = SolverOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..options()
    };
    let body = serde_json::to_vec(&problem()).unwrap();
    let out = vroom::solve(&body, &Roads::none(), &options).unwrap();
    let routed: usize = out
        .routes
        .iter()
        .map(|r| r.steps.iter().filter(|s| s.id.is_some()).count())
        .sum();
    assert_eq!(out.code, 0);
    assert_eq!(routed + out.unassigned.len(), 7);
}

/// Breaks: two vehicles with a lunch break each (one whose window opens before any work, one
/// in the middle of the morning) and a second short break; the answer is rechecked from the
/// input and the returned steps alone: every task once or unassigned, each vehicle's breaks
/// once each, starting inside a window and lasting their service, every arrival equal to the
/// previous departure plus the travel from the last place (no travel to or from a break),
/// every job inside its window, and the end inside the working window.
#[test]
fn breaks_placed_and_rechecked() {
    let mut input = problem();
    input["vehicles"][0]["time_window"] = json!([0, 4000]);
    input["vehicles"][0]["breaks"] = json!([
        {"id": 1, "time_windows": [[300, 400]], "service": 120, "description": "coffee"},
        {"id": 2, "time_windows": [[0, 50], [900, 1000]], "service": 60}
    ]);
    input["vehicles"][1]["breaks"] = json!([{"id": 7, "time_windows": [[0, 10]], "service": 200}]);
    let out = solve(&input).unwrap();
    assert_eq!(out["code"], 0);
    let m = durations();
    let windows_of = |v: &Value| -> Vec<(i64, i64)> {
        v["time_windows"]
            .as_array()
            .map_or(vec![(0, i64::MAX)], |w| {
                w.iter().map(|w| (num(&w[0]), num(&w[1]))).collect()
            })
    };
    let jobs: HashMap<u64, &Value> = input["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["id"].as_u64().unwrap(), j))
        .collect();
    let mut seen: HashMap<(String, u64), usize> = HashMap::new();
    for u in out["unassigned"].as_array().unwrap() {
        let key = (
            u["type"].as_str().unwrap().to_string(),
            u["id"].as_u64().unwrap(),
        );
        *seen.entry(key).or_default() += 1;
    }
    let mut breaks_seen = 0;
    for route in out["routes"].as_array().unwrap() {
        let vid = route["vehicle"].as_u64().unwrap();
        let v = input["vehicles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"].as_u64() == Some(vid))
            .unwrap();
        let (tw_start, tw_end) = (num(&v["time_window"][0]), num(&v["time_window"][1]));
        let steps = route["steps"].as_array().unwrap();
        assert_eq!(steps[0]["type"], "start");
        assert_eq!(steps[steps.len() - 1]["type"], "end");
        assert!(num(&steps[0]["arrival"]) >= tw_start);
        let (mut place, mut free_at) = (0usize, num(&steps[0]["arrival"]));
        let mut breaks: Vec<u64> = Vec::new();
        for (k, s) in steps.iter().enumerate().skip(1) {
            let (arrival, wait, service) = (
                num(&s["arrival"]),
                num(&s["waiting_time"]),
                num(&s["service"]),
            );
            assert!(wait >= 0, "negative wait at step {k} of vehicle {vid}");
            let kind = s["type"].as_str().unwrap();
            if kind == "break" {
                assert!(s.get("location_index").is_none());
                assert_eq!(arrival, free_at, "a break needs no travel (vehicle {vid})");
                let id = s["id"].as_u64().unwrap();
                let b = v["breaks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|b| b["id"].as_u64() == Some(id))
                    .unwrap();
                assert_eq!(service, num(&b["service"]));
                let start = arrival + wait;
                assert!(
                    windows_of(b).iter().any(|&(a, z)| a <= start && start <= z),
                    "break {id} of vehicle {vid} starts at {start}"
                );
                if id == 1 {
                    assert_eq!(s["description"], "coffee");
                }
                breaks.push(id);
                free_at = start + service;
                continue;
            }
            let loc = s["location_index"].as_u64().unwrap() as usize;
            assert_eq!(
                arrival,
                free_at + i64::from(m[place][loc]),
                "arrival at step {k} of vehicle {vid}"
            );
            if kind == "end" {
                assert!(arrival <= tw_end, "vehicle {vid} ends after its window");
                continue;
            }
            let id = s["id"].as_u64().unwrap();
            if kind == "job" {
                let start = arrival + wait;
                assert!(
                    windows_of(jobs[&id])
                        .iter()
                        .any(|&(a, z)| a <= start && start <= z),
                    "job {id} starts at {start}"
                );
            }
            *seen.entry((kind.to_string(), id)).or_default() += 1;
            place = loc;
            free_at = arrival + wait + service;
        }
        breaks.sort_unstable();
        let mut expected: Vec<u64> = v["breaks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_u64().unwrap())
            .collect();
        expected.sort_unstable();
        assert_eq!(breaks, expected, "each break of vehicle {vid} once");
        breaks_seen += breaks.len();
    }
    assert!(
        breaks_seen >= 2,
        "the used vehicles took their breaks: {out}"
    );
    for id in [10u64, 11, 12, 13, 14] {
        assert_eq!(seen.get(&("job".into(), id)), Some(&1), "job {id}: {out}");
    }
    assert_eq!(seen.get(&("pickup".into(), 20)), Some(&1));
    assert_eq!(seen.get(&("delivery".into(), 20)), Some(&1));
}
