fn main() -> std::process::ExitCode {
    phi::run().into()
}
