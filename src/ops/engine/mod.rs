//! How every action changes the host: as a list of typed operations (`Op`) derived from what
//! the host looks like now (`Scene`) and what the action is about (`Subject`), towards a goal
//! (`Goal`: as before the action, the action complete, or a rebind committed).
//!
//! The same function plans the action, its rollback, `vigil undo` and `vigil resume`
//! (`converge`), so each of them starts from the host as it is, not from what a record says
//! happened: an action cut short at any point (a dropped SSH session, SIGKILL, a Docker daemon
//! restart) is finished or reversed by planning again from the scene it left. Running a plan
//! twice does no harm: an operation whose effect is already there is not planned.
//!
//! Before each operation the executor (`run`) looks at the host again and checks that the
//! container it is about to touch is the one the record names (id, image, creation time, the
//! vigil label on a replacement) and that the name it takes is free; a mismatch stops the action
//! before it changes anything more. Each operation is journaled in the audit log (fsynced)
//! before it starts and after it ends, with the facts needed to reverse it.

mod after;
mod check;
mod container;
mod converge;
mod journal;
mod op;
mod pause;
mod run;
mod scene;
pub(in crate::ops) mod subject;

pub use check::check;
pub use converge::{Goal, Unreachable, converge};
pub use op::{Op, PlannedOp, Role, Work};
pub use scene::{Scene, Seen, observe};
pub use subject::{Bindings, LoopbackGuard, Recorded, Subject};

pub(in crate::ops) use journal::Journal;
pub(in crate::ops) use run::carry_out;

/// The label a replacement carries: the id of the action that created it. It is how vigil
/// tells its own replacement from any other container, whatever the audit log says.
pub const ACTION_LABEL: &str = "io.vigil.action";
/// The label a replacement carries: the id of the container it replaces.
pub const REPLACES_LABEL: &str = "io.vigil.replaces";
