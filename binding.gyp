{
  "targets": [
    {
      "target_name": "glassy_blas",
      "sources": ["native/glassy_blas.c"],
      "cflags": ["-O2", "-std=c99", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='mac'", {
          "libraries": ["-framework Accelerate"],
          "xcode_settings": {
            "OTHER_CFLAGS": ["-O2", "-DACCELERATE_NEW_LAPACK"],
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='linux'", {
          "include_dirs": ["/usr/include/openblas", "/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/aarch64-linux-gnu/openblas-pthread"],
          "libraries": ["-lopenblas"]
        }],
        ["OS!='mac' and OS!='linux' and OS!='win'", {
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
