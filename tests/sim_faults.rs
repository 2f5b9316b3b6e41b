//! The simulated cloud's REST faults for issue 7, over real HTTP: a dead PAT's bare 401, a
//! rate limit until lifted (commands included), per-device read failures, the `GET /push`
//! list, and call accounting in a window.

mod support;

use serde_json::{Value, json};
use support::{code, sim_and_client, sorted, start_sim, thinq_api};
use thinq_addon::sim::devices::{AIR_CONDITIONER_ID, WASHER_ID};
use thinq_addon::sim::{Fault, SimDevice};

#[tokio::test]
async fn push_subscriptions_are_listed_and_can_be_lost() {
    let sim = start_sim().await.expect("sim");
    let api = thinq_api(&sim, "push-list-client");
    assert!(api.push_list().await.expect("GET /push").is_empty());
    api.push_subscribe(WASHER_ID).await.expect("subscribe");
    api.push_subscribe(AIR_CONDITIONER_ID)
        .await
        .expect("subscribe");
    assert_eq!(
        sorted(api.push_list().await.expect("GET /push")),
        sorted(vec![AIR_CONDITIONER_ID.into(), WASHER_ID.into()])
    );
    assert_eq!(sim.drop_push_subscription(WASHER_ID), 1);
    assert_eq!(
        api.push_list().await.expect("GET /push"),
        vec![AIR_CONDITIONER_ID]
    );
    sim.shutdown().await;
}

/// A dead PAT: every call, commands too, gets a bare 401; the calls are counted; the
/// token works again once accepted.
#[tokio::test]
async fn a_rejected_pat_gets_401_with_an_empty_body() {
    let (sim, lg) = sim_and_client("pat-client").await;
    let http = reqwest::Client::new();
    sim.inject(Fault::TokenRejectedEmptyBody);
    let control = format!("/devices/{AIR_CONDITIONER_ID}/control");
    for (method, path, is_control) in [
        (reqwest::Method::GET, "/devices", false),
        (reqwest::Method::GET, "/route", false),
        (reqwest::Method::POST, control.as_str(), true),
    ] {
        let mut request = http.request(method, format!("{}{path}", sim.api_url()));
        for (name, value) in lg.headers(is_control) {
            request = request.header(name, value);
        }
        if is_control {
            request = request.json(&json!({"airFlow": {"windStrength": "LOW"}}));
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status().as_u16(), 401, "{path}");
        assert!(response.headers().get("content-type").is_none(), "{path}");
        assert!(response.bytes().await.expect("body").is_empty(), "{path}");
    }
    assert_eq!(sim.rejected_token_calls(), 3);
    assert!(
        sim.controls().is_empty(),
        "a rejected control never reaches the device"
    );

    // The add-on's client sees a 401 it cannot read a code from.
    let api = thinq_api(&sim, "pat-client");
    let err = api.devices().await.expect_err("rejected");
    assert!(err.to_string().contains("401"), "{err}");
    assert_eq!(sim.rejected_token_calls(), 4);

    // The 1103 form is counted too; accepting the token ends both.
    sim.accept_token_again();
    sim.inject(Fault::InvalidToken);
    let (status, envelope) = lg.call("GET", "/devices", None).await.expect("call");
    assert_eq!((status, code(&envelope)), (401, "1103"));
    assert_eq!(sim.rejected_token_calls(), 5);
    sim.accept_token_again();
    lg.ok("GET", "/devices", None)
        .await
        .expect("the token works again");
    assert_eq!(sim.rejected_token_calls(), 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_lasts_until_lifted_and_covers_commands() {
    let (sim, lg) = sim_and_client("limited-client").await;
    sim.inject(Fault::RateLimitUntilCleared);
    sim.inject(Fault::ServerError { times: 1 });
    let mark = sim.call_mark();
    let control = format!("/devices/{AIR_CONDITIONER_ID}/control");
    let body = json!({"airFlow": {"windStrength": "LOW"}});
    for _ in 0..3 {
        for (method, path, body) in [
            ("GET", "/devices", None),
            ("GET", "/route", None),
            ("POST", control.as_str(), Some(&body)),
        ] {
            let (status, envelope) = lg.call(method, path, body).await.expect("call");
            assert_eq!((status, code(&envelope)), (401, "1314"), "{method} {path}");
            assert_eq!(envelope["error"]["message"], "Exceeded User API calls");
        }
    }
    let window = sim.calls_since(mark);
    assert_eq!(window.len(), 9);
    assert!(window.iter().all(|r| r.code.as_deref() == Some("1314")));
    assert!(
        sim.controls().is_empty(),
        "a limited control never reaches the device"
    );

    sim.lift_rate_limit();
    // The counted fault injected meanwhile is still there, then all is well.
    let (status, envelope) = lg.call("GET", "/devices", None).await.expect("call");
    assert_eq!((status, code(&envelope)), (500, "2000"));
    let (status, _) = lg.control(AIR_CONDITIONER_ID, &body).await.expect("call");
    assert_eq!(status, 200, "commands work again");
    sim.shutdown().await;
}

#[tokio::test]
async fn profile_and_state_reads_fail_for_one_device_only() {
    let (sim, lg) = sim_and_client("reader").await;
    sim.inject(Fault::ProfileFails {
        device_id: AIR_CONDITIONER_ID.to_owned(),
        times: 2,
    });
    sim.inject(Fault::StateFails {
        device_id: WASHER_ID.to_owned(),
        times: 1,
    });
    let ac_profile = format!("/devices/{AIR_CONDITIONER_ID}/profile");
    let washer_state = format!("/devices/{WASHER_ID}/state");
    lg.ok("GET", &format!("/devices/{WASHER_ID}/profile"), None)
        .await
        .expect("other profiles read fine");
    lg.ok("GET", &format!("/devices/{AIR_CONDITIONER_ID}/state"), None)
        .await
        .expect("other states read fine");
    for _ in 0..2 {
        let (status, envelope) = lg.call("GET", &ac_profile, None).await.expect("call");
        assert_eq!((status, code(&envelope)), (500, "2000"));
        assert!(
            envelope["messageId"].is_string(),
            "LG's envelope: {envelope}"
        );
    }
    let profile = lg.ok("GET", &ac_profile, None).await.expect("third read");
    assert!(profile["property"].is_object());
    let (status, envelope) = lg.call("GET", &washer_state, None).await.expect("call");
    assert_eq!((status, code(&envelope)), (500, "2000"));
    let state = lg
        .ok("GET", &washer_state, None)
        .await
        .expect("second read");
    assert!(state.is_object() || state.is_array());
    assert_eq!(sim.count("GET", &ac_profile), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn calls_are_counted_in_a_window_and_by_prefix() {
    let (sim, lg) = sim_and_client("counted").await;
    lg.ok("GET", "/devices", None).await.expect("devices");
    let mark = sim.call_mark();
    for id in [AIR_CONDITIONER_ID, WASHER_ID] {
        for read in ["profile", "state"] {
            let path = format!("/devices/{id}/{read}");
            lg.ok("GET", &path, None).await.expect(read);
        }
    }
    lg.ok("GET", "/route", None).await.expect("route");
    let window = sim.calls_since(mark);
    let paths: Vec<&str> = window.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            format!("/devices/{AIR_CONDITIONER_ID}/profile"),
            format!("/devices/{AIR_CONDITIONER_ID}/state"),
            format!("/devices/{WASHER_ID}/profile"),
            format!("/devices/{WASHER_ID}/state"),
            "/route".to_owned(),
        ]
    );
    assert_eq!(sim.count_prefix("GET", "/devices"), 5);
    assert_eq!(sim.count_prefix("GET", "/devices/"), 4);
    assert_eq!(sim.count_prefix("POST", "/devices"), 0);
    assert_eq!(sim.count_prefix("*", "/"), 6);
    assert!(sim.calls_since(sim.call_mark()).is_empty());
    assert!(sim.calls_since(usize::MAX).is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn silent_account_changes_show_only_in_reads() {
    let (sim, lg) = sim_and_client("account-reader").await;
    lg.ok("POST", "/push/devices", None)
        .await
        .expect("device list subscribe");
    let ids = |devices: &Value| -> Vec<String> {
        devices
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["deviceId"].as_str().map(str::to_owned))
            .collect()
    };

    sim.remove_device_silently(WASHER_ID);
    let mut copy = SimDevice::fixture_set()
        .into_iter()
        .find(|d| d.id() == WASHER_ID)
        .expect("washer");
    copy.summary.device_id = "MW2-SILENT-NEW".to_owned();
    sim.add_device_silently(copy);
    let listed = ids(&lg.ok("GET", "/devices", None).await.expect("devices"));
    assert!(!listed.iter().any(|id| id == WASHER_ID));
    assert!(listed.iter().any(|id| id == "MW2-SILENT-NEW"));
    assert!(sim.pushes().is_empty(), "{:?}", sim.pushes());
    // The same change made loudly is pushed: the subscription above was live.
    sim.remove_device(AIR_CONDITIONER_ID).await;
    let pushes = sim.pushes();
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        pushes[0].json().expect("json")["pushType"],
        "DEVICE_UNREGISTERED"
    );

    let profile = "/devices/MW2-SILENT-NEW/profile";
    let original = lg.ok("GET", profile, None).await.expect("profile");
    let mut changed = original.clone();
    changed["notification"] = json!({"push": ["WASHING_IS_COMPLETE", "ADDED_BY_LG"]});
    assert_ne!(changed, original);
    assert!(sim.set_profile("MW2-SILENT-NEW", changed.clone()));
    assert!(!sim.set_profile("no-such-device", json!({})));
    assert_eq!(lg.ok("GET", profile, None).await.expect("profile"), changed);
    sim.shutdown().await;
}

#[tokio::test]
async fn lg_can_refuse_more_event_subscriptions() {
    let (sim, lg) = sim_and_client("many-events").await;
    sim.inject(Fault::TooManyEventSubscriptions { times: 1 });
    let path = format!("/event/{WASHER_ID}/subscribe");
    let body = json!({"expire": {"unit": "HOUR", "timer": 24}});
    let (status, envelope) = lg.call("POST", &path, Some(&body)).await.expect("call");
    assert_eq!((status, code(&envelope)), (401, "1312"));
    assert!(lg.ok("GET", "/event", None).await.expect("list") == json!([]));
    lg.ok("POST", &path, Some(&body))
        .await
        .expect("the next one works");
    assert_eq!(
        lg.ok("GET", "/event", None).await.expect("list"),
        json!([{"deviceId": WASHER_ID}])
    );
    sim.shutdown().await;
}
