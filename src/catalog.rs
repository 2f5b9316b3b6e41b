//! Device catalog (thinq_addon/).
