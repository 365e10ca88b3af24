// Stands in for `sharp` in the server bundle (see esbuild.js). transformers.js
// requires an image library at load time for its vision pipelines; this
// extension processes text only, so instead of shipping libvips (about 20 MB)
// any attempt to read an image fails with a clear message.
module.exports = function sharp() {
	throw new Error('Glassbox handles text only: image input is not supported.');
};
