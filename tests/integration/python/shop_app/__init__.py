"""An in-app package for store_normalization.test.mjs (named in the SDK's in_app_include)."""
