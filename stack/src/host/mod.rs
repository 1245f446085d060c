//! The host: the top-level [`Stack`] that owns sockets, connections and the
//! IP layer, and turns inbound datagrams and calls into outbound datagrams.

pub mod ports;
pub mod slab;
