pub fn config() -> String {
    String::new()
}
