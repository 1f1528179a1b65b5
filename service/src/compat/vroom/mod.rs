//! The VROOM face: `POST /vroom` with VROOM's JSON problem, answered with VROOM's JSON
//! solution, so a VROOM client switches by changing its URL.
//!
//! A handler does, on a worker thread (the solve blocks for up to its time limit):
//! 1. picks the tenant's road overlays into a [`Roads`] (profiles it does not serve: `None`);
//! 2. calls [`solve`] with the request body (already bounded in size by the server), the
//!    roads and [`milkrun_vrp::SolverOptions`] carrying the time limit and the cancel flag;
//! 3. answers the [`Output`] as JSON with status 200, or an error's [`VroomError::body`]
//!    (`{"code": 2, "error": "..."}`) with [`VroomError::http_status`].
//!
//! The steps can also be taken one by one: [`parse`], [`convert()`] (a quota check on
//! [`Converted::tasks`] and [`Converted::vehicles`] fits here), [`milkrun_vrp::solve`] on
//! [`Converted::problem`], [`output()`].
//!
//! Modules: [`input`] (serde types and their limits), [`bounded`] (lists refused past their
//! limit while read), [`breaks`] (vehicle breaks placed into the solved routes), [`places`] (locations to matrix rows: custom matrices or the engine),
//! [`convert`](mod@convert) (to the solver's problem; what is and is not supported is listed there),
//! [`output`](mod@output), [`error`].

pub mod bounded;
pub mod breaks;
pub mod convert;
pub mod error;
pub mod input;
pub mod output;
pub mod places;

use milkrun_vrp::SolverOptions;

pub use convert::{convert, Converted, Task, TaskKind};
pub use error::{ErrorBody, VroomCode, VroomError};
pub use input::Input;
pub use output::{output, Output};
pub use places::{access_from_query, Roads};

/// Reads a VROOM problem from JSON bytes. Errors ([`VroomError::Json`], code 2) name the
/// path where reading stopped (`jobs[3].time_windows[0]`) and say why: malformed JSON, an
/// unknown key, a negative, fractional or too large number, a list over its limit (checked
/// while reading, before more entries are allocated), trailing bytes after the object.
pub fn parse(body: &[u8]) -> Result<Input, VroomError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let input: Input = serde_path_to_error::deserialize(&mut de).map_err(|e| VroomError::Json {
        path: e.path().to_string(),
        reason: e.inner().to_string(),
    })?;
    de.end().map_err(|e| VroomError::Json {
        path: ".".to_string(),
        reason: e.to_string(),
    })?;
    Ok(input)
}

/// Reads, converts and solves a VROOM problem: [`parse`], [`convert()`],
/// [`milkrun_vrp::solve`] with `options` (time limit, cancel flag, seed, threads: the
/// caller's), [`output()`]. Blocking; call it off the async runtime. A cancelled or timed-out
/// solve answers its best solution so far (tasks it never reached are unassigned with
/// reason `stopped_early`).
pub fn solve(
    body: &[u8],
    roads: &Roads<'_>,
    options: &SolverOptions,
) -> Result<Output, VroomError> {
    let input = parse(body)?;
    let converted = convert(&input, roads)?;
    let solution = milkrun_vrp::solve(&converted.problem, options);
    Ok(output(&converted, &solution))
}
