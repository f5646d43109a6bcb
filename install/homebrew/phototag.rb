# Homebrew formula: `brew install --formula ./install/homebrew/phototag.rb`, then
# `brew services start phototag` runs `phototag serve` (configure it in ~/.config/phototag/ or
# ~/.phototagrc; put OPENROUTER_API_KEY in the config's environment, see the README).
class Phototag < Formula
  desc "AI titles, descriptions and keywords written into your photos' XMP, IPTC and EXIF"
  homepage "https://github.com/phototag/phototag"
  url "https://registry.npmjs.org/phototag/-/phototag-0.1.0.tgz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000" # set when the package is published
  license "MIT"

  depends_on "node"
  depends_on "python@3.12" => :build # better-sqlite3 builds from source

  def install
    system "npm", "install", *std_npm_args
    bin.install_symlink Dir["#{libexec}/bin/*"]
  end

  service do
    run [opt_bin/"phototag", "serve"]
    environment_variables PATH: std_service_path_env
    keep_alive true
    log_path var/"log/phototag.log"
    error_log_path var/"log/phototag.log"
    working_dir var
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/phototag --version")
    assert_match "Usage: phototag", shell_output("#{bin}/phototag --help")
  end
end
