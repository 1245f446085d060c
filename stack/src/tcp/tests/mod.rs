//! State-organised tests of the TCP engine: one file per state.
