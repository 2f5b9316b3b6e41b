//! How a simulated appliance answers an operation command (`…OperationMode`): POWER_ON when
//! already on and POWER_OFF when already off are refused, START with remote control off is
//! refused, and the run state follows the command where the profile allows that state.
//!
//! Apart from the rest of the reaction (`react.rs`) because these are the appliance's
//! refusals, the answers Home Assistant's users see as "command not supported".

use serde_json::{Map, Value};

use super::react::set;
use crate::sim::envelope::{ApiError, code};

/// Applies an operation command the way appliances answer it: POWER_ON when on is refused
/// with 2302, POWER_OFF when off with 2304 (HA ignores both, so LG must send them), START
/// with remote control off with 2301. A run state follows the command.
pub(super) fn operate(
    resources: &Map<String, Value>,
    container: &Value,
    name: &str,
    command: &str,
    readable: bool,
    changes: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let current_mode = container
        .get("operation")
        .and_then(|o| o.get(name))
        .and_then(Value::as_str);
    let run_state = container
        .pointer("/runState/currentState")
        .and_then(Value::as_str);
    let remote_off = container
        .pointer("/remoteControlEnable/remoteControlEnabled")
        .and_then(Value::as_bool)
        == Some(false);
    let powered_off = current_mode == Some("POWER_OFF") || run_state == Some("POWER_OFF");
    let next_run_state: &[&str] = match command {
        "POWER_ON" | "WAKE_UP" => {
            if current_mode == Some("POWER_ON") || run_state.is_some_and(|s| s != "POWER_OFF") {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_STATE));
            }
            &["INITIAL", "STANDBY"]
        }
        "POWER_OFF" => {
            if powered_off {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_POWER_OFF));
            }
            &["POWER_OFF"]
        }
        "START" => {
            if remote_off {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_REMOTE_OFF));
            }
            if run_state == Some("POWER_OFF") {
                return Err(ApiError::new(code::COMMAND_NOT_SUPPORTED_IN_POWER_OFF));
            }
            &["RUNNING", "DETECTING", "COOKING_IN_PROGRESS", "WORKING"]
        }
        "STOP" => &["PAUSE", "INITIAL", "STANDBY"],
        _ => &[],
    };
    if readable {
        set(
            changes,
            "operation",
            name,
            Value::String(command.to_owned()),
        );
    }
    if run_state.is_some()
        && let Some(next) = next_run_state
            .iter()
            .find(|s| allows_read(resources, "runState", "currentState", s))
    {
        set(
            changes,
            "runState",
            "currentState",
            Value::String((*next).to_owned()),
        );
    }
    Ok(())
}

fn allows_read(resources: &Map<String, Value>, resource: &str, name: &str, value: &str) -> bool {
    resources
        .get(resource)
        .and_then(|r| r.get(name))
        .and_then(|d| d.get("value"))
        .and_then(|v| v.get("r"))
        .and_then(Value::as_array)
        .is_some_and(|allowed| allowed.iter().any(|a| a.as_str() == Some(value)))
}

#[cfg(test)]
mod tests {
    use super::super::fixture_device as device;
    use super::super::react;
    use crate::sim::devices::{AIR_CONDITIONER_ID, WASHER_ID};
    use serde_json::json;

    #[test]
    fn power_commands_follow_the_current_state() {
        let ac = device(AIR_CONDITIONER_ID);
        let on = json!({"operation": {"airConOperationMode": "POWER_ON"}});
        assert_eq!(
            react(&ac.profile, &ac.state, &on).map_err(|e| e.code),
            Err("2302".to_owned())
        );
        let off = json!({"operation": {"airConOperationMode": "POWER_OFF"}});
        assert_eq!(
            react(&ac.profile, &ac.state, &off).expect("off"),
            json!({"operation": {"airConOperationMode": "POWER_OFF"}})
        );
    }

    #[test]
    fn the_washer_refuses_start_with_remote_control_off() {
        let washer = device(WASHER_ID);
        let start = json!({"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "START"}});
        assert_eq!(
            react(&washer.profile, &washer.state, &start).map_err(|e| e.code),
            Err("2301".to_owned())
        );
        let power_on = json!({"location": {"locationName": "MAIN"}, "operation": {"washerOperationMode": "POWER_ON"}});
        assert_eq!(
            react(&washer.profile, &washer.state, &power_on).expect("on"),
            json!({"runState": {"currentState": "INITIAL"}, "location": {"locationName": "MAIN"}})
        );
    }
}
