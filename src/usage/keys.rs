//! A row's key fields as one byte string, the key of a hash map: for each field its length in
//! two bytes (`NULL_LEN` for null) and its bytes. The first pass (`groups.rs`) finds a series by
//! it, and the EC2 hours (`ec2_hours.rs`) a class.

/// The length written for a null field in a key.
pub(crate) const NULL_LEN: u16 = u16::MAX;

/// Appends fields as a key (for each, its length in two bytes, `NULL_LEN` for null, and its
/// bytes); false when one is too long.
pub(crate) fn encode_into<'a>(
    buf: &mut Vec<u8>,
    fields: impl Iterator<Item = Option<&'a [u8]>>,
) -> bool {
    for f in fields {
        match f {
            None => buf.extend_from_slice(&NULL_LEN.to_le_bytes()),
            Some(b) if b.len() < NULL_LEN as usize => {
                buf.extend_from_slice(&(b.len() as u16).to_le_bytes());
                buf.extend_from_slice(b);
            }
            Some(_) => return false,
        }
    }
    true
}

/// Fields as a key; `None` when one is too long.
pub(crate) fn encode_fields<'a>(fields: impl Iterator<Item = Option<&'a [u8]>>) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    encode_into(&mut buf, fields).then_some(buf)
}

/// A key's `n` fields, as `encode_into` wrote them; `None` when the key is shorter.
pub(crate) fn decode_fields(key: &[u8], n: usize) -> Option<Vec<Option<&[u8]>>> {
    let mut rest = key;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = u16::from_le_bytes([*rest.first()?, *rest.get(1)?]);
        rest = &rest[2..];
        if len == NULL_LEN {
            out.push(None);
        } else {
            let (field, tail) = rest.split_at_checked(len as usize)?;
            out.push(Some(field));
            rest = tail;
        }
    }
    Some(out)
}

/// A key's fields, as `Groups::series_of` encoded them; `None` when one is not UTF-8.
pub(crate) fn decode_key(key: &[u8], fields: usize) -> Option<Vec<Option<&str>>> {
    decode_fields(key, fields)?
        .into_iter()
        .map(|f| f.map(std::str::from_utf8).transpose().ok())
        .collect()
}

/// Field `at` of a key, as `encode_into` wrote it: the bytes it takes (its length's and its
/// own) and its value; `None` when the key is shorter.
pub(crate) fn field_at(key: &[u8], at: usize) -> Option<(std::ops::Range<usize>, Option<&[u8]>)> {
    let mut from = 0;
    for f in 0..=at {
        let len = u16::from_le_bytes([*key.get(from)?, *key.get(from + 1)?]);
        let (start, end) = if len == NULL_LEN {
            (from + 2, from + 2)
        } else {
            (from + 2, from + 2 + len as usize)
        };
        let value = key.get(start..end)?;
        if f == at {
            return Some((from..end, (len != NULL_LEN).then_some(value)));
        }
        from = end;
    }
    None
}
