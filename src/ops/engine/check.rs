//! Just before an operation runs: is the container it touches there, the one the record names,
//! and is the name it takes free? The executor looks at the host again before each operation
//! and calls this; a mismatch stops the action before it changes anything more.

use super::converge::{Unreachable, same_containers};
use super::op::{Op, Role};
use super::scene::{Scene, Seen};
use super::subject::Subject;
use crate::util::text::escape;

pub fn check(op: &Op, subject: &Subject, scene: &Scene) -> Result<(), Unreachable> {
    if subject.original.is_some() {
        same_containers(subject, scene)?;
    }
    let original = || present(scene.original.as_ref(), "the original", subject);
    let replacement = || present(scene.replacement.as_ref(), "vigil's replacement", subject);
    match op {
        Op::CreateReplacement => {
            original()?;
            free(scene, &subject.new_name(), None)
        }
        Op::ConnectNetworks => original().and(replacement()).map(|_| ()),
        Op::Stop {
            who: Role::Original,
        }
        | Op::RestoreRestartPolicy => original().map(|_| ()),
        Op::Stop {
            who: Role::Replacement,
        }
        | Op::RemoveReplacement => replacement().map(|_| ()),
        Op::Start {
            who: Role::Original,
        } => named(original()?, &subject.name),
        Op::Start {
            who: Role::Replacement,
        } => named(replacement()?, &subject.name),
        Op::KeepAsPrevious => {
            let kept = original()?;
            free(scene, &subject.previous_name(), Some(kept))
        }
        Op::TakeOverName => {
            let taking = replacement()?;
            free(scene, &subject.name, Some(taking))
        }
        Op::RenameBack => {
            let back = original()?;
            free(scene, &subject.name, Some(back))
        }
        Op::RemoveOriginal => {
            let kept = original()?;
            named(kept, &subject.previous_name())?;
            if kept.running() {
                return Err(Unreachable(format!(
                    "{} runs: vigil removes only a stopped original",
                    kept.describe()
                )));
            }
            named(replacement()?, &subject.name)
        }
        Op::VerifyHttp { .. }
        | Op::AddGuards { .. }
        | Op::RemoveGuards { .. }
        | Op::Block
        | Op::Unblock => Ok(()),
    }
}

fn present<'s>(
    seen: Option<&'s Seen>,
    what: &str,
    subject: &Subject,
) -> Result<&'s Seen, Unreachable> {
    seen.ok_or_else(|| {
        Unreachable(format!(
            "{what} of {} is not there any more",
            escape(&subject.name)
        ))
    })
}

fn named(seen: &Seen, name: &str) -> Result<(), Unreachable> {
    if seen.name == name {
        Ok(())
    } else {
        Err(Unreachable(format!(
            "{} is not named {} as expected",
            seen.describe(),
            escape(name)
        )))
    }
}

/// `name` is free, or held by `allowed`.
fn free(scene: &Scene, name: &str, allowed: Option<&Seen>) -> Result<(), Unreachable> {
    match scene.holder(name) {
        Some(holder) if Some(&holder.id) != allowed.map(|a| &a.id) => Err(Unreachable(format!(
            "{} holds the name {} now",
            holder.describe(),
            escape(name)
        ))),
        _ => Ok(()),
    }
}
