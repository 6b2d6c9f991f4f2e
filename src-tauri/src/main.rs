fn main() { signet_app::run() }
