//! Importing AWS Price List offer files into catalog files (filled in below).
