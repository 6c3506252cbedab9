//! Bills: pricing a month of real usage (`cloudcost estimate`).

pub mod commitments;
