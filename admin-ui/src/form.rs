//! Decoding the `application/x-www-form-urlencoded` bodies the pages post.

/// The fields of a posted form.
#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// Decodes a form body. Invalid UTF-8 is replaced, never an error: the handlers validate values.
    pub fn parse(body: &[u8]) -> Self {
        FormFields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a field, if the form has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated field (ticked boxes), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a field, or `""`.
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_fields() {
        let f = FormFields::parse(b"username=marie&password=une+phrase%20%C3%A9t%C3%A9&x=1&x=2");
        assert_eq!(f.value("username"), "marie");
        assert_eq!(f.value("password"), "une phrase été");
        assert_eq!(f.value("x"), "1");
        assert_eq!(f.all("x").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(f.get("absent"), None);
        assert_eq!(f.value("absent"), "");
    }
}
