// Type-aware lint: no-floating-promises catches the unawaited promise that
// loses an error; the rest is typescript-eslint's recommended set. Fixtures are
// sample user files opened by the tests, not project code, so they are not linted.
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ ignores: ['dist/**', 'media/dist/**', 'node_modules/**', '.tools/**', 'models/train/**', 'out/**', 'test-output/**', 'test/e2e/fixtures/**', 'test/webview/fixtures/**'] },
	...tseslint.configs.recommended,
	{
		files: ['**/*.ts'],
		languageOptions: {
			parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
		},
	},
	{
		files: ['server/src/noImageSupport.js', 'esbuild.js', 'scripts/*.js'],
		languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
		rules: { '@typescript-eslint/no-require-imports': 'off' },
	},
);
