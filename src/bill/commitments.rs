//! Hour-by-hour application of reserved instances and savings plans (being written).
