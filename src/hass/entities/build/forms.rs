//! The composites of LG's IoT line (lights, covers, locks, sirens), hooked into the builder
//! with one call.

use super::cover::build_cover;
use super::light::build_lights;
use super::lock::build_lock;
use super::scope::Scope;
use super::siren::build_siren;
use crate::catalog::DeviceCatalog;
use crate::hass::entities::Entity;

pub(super) fn build_forms(scope: &Scope, cat: &DeviceCatalog, entities: &mut Vec<Box<dyn Entity>>) {
    for spec in &cat.lights {
        for light in build_lights(scope, spec) {
            entities.push(Box::new(light));
        }
    }
    if let Some(spec) = &cat.cover
        && let Some(cover) = build_cover(scope, spec)
    {
        entities.push(Box::new(cover));
    }
    if let Some(spec) = &cat.lock
        && let Some(lock) = build_lock(scope, spec)
    {
        entities.push(lock);
    }
    if let Some(spec) = &cat.siren
        && let Some(siren) = build_siren(scope, spec)
    {
        entities.push(Box::new(siren));
    }
}
