//! The `vacuum` composite: activity from the run state, commands to the operation enum.

use super::scope::*;
use crate::catalog::VacuumSpec;
use crate::hass::entities::Entity;
use crate::hass::entities::button::ButtonEntity;
use crate::hass::entities::common;
use crate::hass::entities::vacuum::VacuumEntity;
use crate::thinq::profile::ValueSpec;

/// The vacuum, plus a button for each operation value no vacuum command writes (a robot
/// cleaner's `WAKE_UP`), under the key the generic rule gave it, so no control is lost.
/// `None` when the profile lacks the run state or offers none of the commands: then the
/// properties stay with the generic rule (a stick cleaner reports a state but takes no command).
pub(super) fn build_vacuum(scope: &Scope, spec: &VacuumSpec) -> Option<Vec<Box<dyn Entity>>> {
    let state = scope.find(&spec.state).filter(|p| p.readable)?;
    let command = scope
        .find(&spec.command)
        .filter(|p| is_enum_with_writes(p))?;
    let ValueSpec::Enum { read, .. } = &state.spec else {
        return None;
    };
    let (_, write) = common::enum_values(command);
    let commands: Vec<(String, String)> = spec
        .commands
        .iter()
        .filter(|(_, lg)| write.contains(lg))
        .map(|(ha, lg)| (ha.clone(), lg.clone()))
        .collect();
    if commands.is_empty() {
        return None;
    }
    let activities: Vec<(String, String)> = read
        .iter()
        .filter_map(|lg| spec.activities.get(lg).map(|ha| (lg.clone(), ha.clone())))
        .collect();
    // The run state keeps its own sensor: LG's words (charging, sleeping, diagnosing) say more
    // than the six activities Home Assistant allows.
    scope.consume(command);
    let mut out: Vec<Box<dyn Entity>> = vec![Box::new(VacuumEntity {
        base: scope.composite_base("vacuum"),
        state: state.clone(),
        activities,
        command: command.clone(),
        commands: commands.clone(),
    })];
    let (key, prefix) = scope.property_key(&command.path);
    let meta = scope.meta(command).cloned().unwrap_or_default();
    for value in write
        .iter()
        .filter(|v| !commands.iter().any(|(_, lg)| lg == *v))
    {
        let label = scope.labels.label(value);
        let name = match meta.name.as_deref() {
            Some(n) if !n.is_empty() => common::prefixed_name(&scope.labels.name(n), &label),
            _ => label,
        };
        let mut base = common::EntityBase::new(
            format!("{key}_{}", common::snake(value)),
            Some(common::prefixed_name(&prefix, &name)),
        );
        base.icon = meta.icon.clone();
        out.push(Box::new(ButtonEntity {
            base,
            property: command.clone(),
            value: value.clone(),
        }));
    }
    Some(out)
}
