# Homebrew formula, built from the git repository (phototag is not on the npm registry yet, so there is no
# release tarball to pin a checksum to). Homebrew installs formulae only from a tap, so make a local one:
#   brew tap-new --no-git "$USER/local"
#   cp install/homebrew/phototag.rb "$(brew --repository "$USER/local")/Formula/"
#   brew install --HEAD "$USER/local/phototag"
#   brew services start phototag        # phototag serve, reading $(brew --prefix)/etc/phototag/config.yaml
class Phototag < Formula
  desc "AI titles, descriptions and keywords written into your photos' XMP, IPTC and EXIF"
  homepage "https://github.com/phototag/phototag"
  head "https://github.com/phototag/phototag.git", branch: "main"
  license "MIT"

  depends_on "node"
  depends_on "python@3.13" => :build # node-gyp: better-sqlite3 is built from source

  def install
    # dist/ is not in git: build it with the dev dependencies (TypeScript), no install scripts needed for that.
    system "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"
    system "npm", "run", "build"
    # std_npm_args packs the package (package.json "files") and installs it with its runtime dependencies only.
    system "npm", "install", *std_npm_args(ignore_scripts: false) # better-sqlite3 compiles its addon
    bin.install_symlink libexec.glob("bin/*")
    # The service's config: the example with every key, kept across upgrades (Homebrew never overwrites etc).
    (etc/"phototag").install "config/phototag.config.example.yaml" => "config.yaml"
  end

  def post_install
    (etc/"phototag/config.yaml").chmod 0600 # it may hold apiKey
    (var/"log").mkpath
  end

  def caveats
    <<~EOS
      The service reads #{etc}/phototag/config.yaml (PHOTOTAG_CONFIG): set serve.watch (absolute paths)
      and apiKey there (or another provider), then `brew services restart phototag`.
      Its data dir is ~/Library/Application Support/phototag; logs go to #{var}/log/phototag.log.
      --geocode needs an optional package: npm install -g offline-geocode-city
    EOS
  end

  service do
    run [opt_bin/"phototag", "serve"]
    environment_variables PATH: std_service_path_env, PHOTOTAG_CONFIG: etc/"phototag/config.yaml", MALLOC_ARENA_MAX: "2"
    keep_alive true
    log_path var/"log/phototag.log"
    error_log_path var/"log/phototag.log"
    working_dir var
  end

  test do
    assert_match "Usage: phototag", shell_output("#{bin}/phototag --help")
    ENV["PHOTOTAG_CONFIG"] = etc/"phototag/config.yaml"
    assert_match "loaded from: #{etc}/phototag/config.yaml", shell_output("#{bin}/phototag config")
  end
end
