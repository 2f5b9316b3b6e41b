//! The `water_heater` composite: power, operation mode, temperatures.

use super::climate::take_temperature;
use super::scope::*;
use crate::catalog::WaterHeaterSpec;
use crate::hass::entities::common::{self};
use crate::hass::entities::water_heater::WaterHeaterEntity;
use crate::thinq::profile::ValueSpec;

pub(super) fn build_water_heater(
    scope: &Scope,
    spec: &WaterHeaterSpec,
) -> Option<WaterHeaterEntity> {
    let power = scope.take_power(spec.power.as_deref(), &spec.power_on, &spec.power_off);
    let mode = scope
        .find(&spec.mode)
        .filter(|p| matches!(p.spec, ValueSpec::Enum { .. }))
        .map(|p| {
            let (read, write) = common::enum_values(p);
            let all: Vec<&String> = read.iter().chain(write.iter()).collect();
            let mut pairs: Vec<(String, String)> = Vec::new();
            for value in &all {
                if let Some(ha) = spec.modes.get(*value)
                    && !pairs.iter().any(|(lg, _)| lg == *value)
                {
                    pairs.push(((*value).clone(), ha.clone()));
                }
            }
            if all.iter().all(|v| spec.modes.contains_key(*v)) {
                scope.consume(p);
            }
            (p.clone(), pairs)
        });
    let temperature = take_temperature(
        scope,
        &spec.temperature_resources,
        &spec.current_temperature,
        &spec.target_temperature,
        &[],
    );
    if mode.is_none() && temperature.is_none() {
        return None;
    }
    let mut base = scope.composite_base("water_heater");
    if let Some(name) = &spec.name {
        let own = scope.labels.name(name);
        let prefix = base.name.take().unwrap_or_default();
        base.name = Some(common::prefixed_name(&prefix, &own));
    }
    Some(WaterHeaterEntity {
        base,
        power,
        mode,
        temperature,
    })
}
