//! Rule: no more non-empty routes than the instance's vehicle limit.

use super::Violation;
use crate::instance::Instance;

/// Number of non-empty routes.
pub fn used(routes: &[Vec<usize>]) -> usize {
    routes.iter().filter(|r| !r.is_empty()).count()
}

/// Pushes `TooManyVehicles` when the instance has a limit and it is exceeded.
pub fn check(inst: &Instance, routes: &[Vec<usize>], out: &mut Vec<Violation>) {
    if let Some(limit) = inst.vehicles {
        let used = used(routes);
        if used > limit {
            out.push(Violation::TooManyVehicles { used, limit });
        }
    }
}
