//! Stage 3, exchange: a trial's requests sent and answered. The request ([`request`]), the
//! client within its deadline and memory budget ([`client`], [`budget`], [`limits`]),
//! throttling ([`retry`]), which trials wait for which ([`schedule`], [`item_lock`]) and the
//! links the run made and cleans up ([`links`]).

pub mod budget;
pub mod client;
pub mod item_lock;
pub mod limits;
pub mod links;
pub mod request;
pub mod retry;
pub mod schedule;
