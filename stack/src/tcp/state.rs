//! The eleven connection states of RFC 9293 §3.3.2, spelled as the RFC spells
//! them, and the transition table of its Figure 5 in a printable form.

use core::fmt;

/// A connection state (RFC 9293 §3.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl State {
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// The RFC's spelling: `SYN-RECEIVED`, `FIN-WAIT-1`, ...
    pub const fn rfc_name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// Linux's `TCP_*` state number as `tcp_info.tcpi_state` reports it.
    pub const fn linux_number(self) -> u8 {
        match self {
            State::Established => 1,
            State::SynSent => 2,
            State::SynReceived => 3,
            State::FinWait1 => 4,
            State::FinWait2 => 5,
            State::TimeWait => 6,
            State::Closed => 7,
            State::CloseWait => 8,
            State::LastAck => 9,
            State::Listen => 10,
            State::Closing => 11,
        }
    }

    /// RFC 9293 §3.3.2: "synchronized" states are ESTABLISHED and later.
    pub const fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }

    /// States in which a FIN has been received from the peer.
    pub const fn fin_received(self) -> bool {
        matches!(
            self,
            State::CloseWait | State::Closing | State::LastAck | State::TimeWait
        )
    }

    /// States in which our side has sent (or queued) its FIN.
    pub const fn fin_queued(self) -> bool {
        matches!(
            self,
            State::FinWait1 | State::FinWait2 | State::Closing | State::LastAck | State::TimeWait
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc_name())
    }
}

/// One edge of RFC 9293 Figure 5: from, event (the figure's label), to.
pub type Transition = (State, &'static str, State);

/// The transitions of RFC 9293 Figure 5, plus the RST and timeout edges of
/// §3.10 the figure leaves out.
pub const TRANSITIONS: &[Transition] = &[
    (State::Closed, "passive OPEN / create TCB", State::Listen),
    (State::Closed, "active OPEN / snd SYN", State::SynSent),
    (State::Listen, "rcv SYN / snd SYN,ACK", State::SynReceived),
    (State::Listen, "SEND / snd SYN", State::SynSent),
    (State::Listen, "CLOSE / delete TCB", State::Closed),
    (State::SynSent, "rcv SYN / snd SYN,ACK", State::SynReceived),
    (State::SynSent, "rcv SYN,ACK / snd ACK", State::Established),
    (State::SynSent, "CLOSE / delete TCB", State::Closed),
    (
        State::SynSent,
        "rcv RST (acceptable ACK) / ECONNREFUSED",
        State::Closed,
    ),
    (
        State::SynSent,
        "SYN retries exhausted / ETIMEDOUT",
        State::Closed,
    ),
    (State::SynReceived, "rcv ACK of SYN", State::Established),
    (State::SynReceived, "CLOSE / snd FIN", State::FinWait1),
    (
        State::SynReceived,
        "rcv RST (passive) / back to LISTEN",
        State::Listen,
    ),
    (
        State::SynReceived,
        "rcv RST (active) / ECONNREFUSED",
        State::Closed,
    ),
    (State::SynReceived, "rcv FIN / snd ACK", State::CloseWait),
    (State::Established, "CLOSE / snd FIN", State::FinWait1),
    (State::Established, "rcv FIN / snd ACK", State::CloseWait),
    (State::Established, "rcv RST / ECONNRESET", State::Closed),
    (State::FinWait1, "rcv ACK of FIN", State::FinWait2),
    (State::FinWait1, "rcv FIN / snd ACK", State::Closing),
    (
        State::FinWait1,
        "rcv FIN,ACK of FIN / snd ACK",
        State::TimeWait,
    ),
    (State::FinWait2, "rcv FIN / snd ACK", State::TimeWait),
    (State::CloseWait, "CLOSE / snd FIN", State::LastAck),
    (State::Closing, "rcv ACK of FIN", State::TimeWait),
    (State::LastAck, "rcv ACK of FIN", State::Closed),
    (State::TimeWait, "Timeout=2MSL / delete TCB", State::Closed),
    (State::Closing, "rcv RST", State::Closed),
    (State::LastAck, "rcv RST", State::Closed),
    (State::TimeWait, "rcv RST", State::Closed),
];

/// The transition table as a Graphviz DOT graph.
pub fn transitions_dot() -> String {
    let mut out = String::from("digraph tcp {\n  rankdir=TB;\n  node [shape=box];\n");
    for (from, label, to) in TRANSITIONS {
        out.push_str(&format!("  \"{from}\" -> \"{to}\" [label=\"{label}\"];\n"));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_appears_in_the_transition_table() {
        for s in State::ALL {
            assert!(
                TRANSITIONS.iter().any(|(f, _, t)| *f == s || *t == s),
                "{s} has no transition"
            );
        }
    }

    #[test]
    fn names_and_linux_numbers_are_distinct() {
        let mut names: Vec<_> = State::ALL.iter().map(|s| s.rfc_name()).collect();
        let mut nums: Vec<_> = State::ALL.iter().map(|s| s.linux_number()).collect();
        names.dedup();
        nums.sort_unstable();
        nums.dedup();
        assert_eq!((names.len(), nums.len()), (11, 11));
        assert_eq!(State::SynReceived.to_string(), "SYN-RECEIVED");
        assert_eq!(
            i64::from(State::TimeWait.linux_number()),
            crate::linux::TCP_TIME_WAIT
        );
        assert_eq!(
            i64::from(State::Closing.linux_number()),
            crate::linux::TCP_CLOSING
        );
    }

    #[test]
    fn dot_output_names_every_edge() {
        let dot = transitions_dot();
        assert!(dot.starts_with("digraph tcp {"));
        assert_eq!(dot.matches("->").count(), TRANSITIONS.len());
        assert!(dot.contains("\"FIN-WAIT-1\" -> \"CLOSING\""));
    }
}
