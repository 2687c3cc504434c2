fn main() {
    std::process::exit(nwvol::cli::main());
}
