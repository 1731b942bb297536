import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Type-aware rules on the TypeScript of src/ and test/ (floating promises, unsafe any, …); Prettier owns formatting. */
export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.plugboard/'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'migrations/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `Dto.from` and other static factories are passed as callbacks; they use no `this`.
      '@typescript-eslint/unbound-method': ['error', { ignoreStatic: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // IsOptional lets a null through as if the field were left out; a DTO says which it means.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'class-validator', importNames: ['IsOptional'], message: 'Use Omittable() or OmittableOrNull() from core/http/validation.' }] },
      ],
    },
  },
  {
    files: ['src/core/http/validation.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The SDK's definition types accept any shape of credentials, settings and input, which each plugin
    // narrows with its own types: `any` there is the contract plugin authors write against.
    files: ['src/sdk/contract.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Response bodies of supertest and fetch are typed `any`, and the provider fakes read arbitrary JSON
    // requests: tests and fakes read them freely and assert their shape.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
