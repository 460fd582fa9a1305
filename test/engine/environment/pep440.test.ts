import { describe, expect, it } from 'vitest';
import {
  applicableSpecifiers,
  evaluateMarker,
  InvalidMarkerError,
  InvalidSpecifierError,
  markerEnvironment,
  satisfies,
  validateSpecifiers,
} from '../../../src-main/engine/environment/pep440.js';

describe('PEP 440 specifiers', () => {
  it.each([
    ['23.2.1', '<22.3', false],
    ['22.2.2', '<22.3', true],
    ['23.2.1', '>=23,<24.3', true],
    ['24.3', '>=23,<24.3', false],
    ['24.2', '>=20.3,<24.3', true],
    ['1.3.2', '>=1.2', true],
    ['1.3.2', '1.3.2', true],
    ['1.3.2', '1.3', false],
    ['1.3', '1.3.0', true],
    ['2.1.0+cu121', '==2.1.0', true],
    ['2.1.0+cu121', '==2.1.0.*', true],
    ['2.1.1', '==2.1.0.*', false],
    ['2.1.0a0', '==2.1.0.*', true],
    ['2.1.0+cu121', '==2.1.0+cu118', false],
    ['1.4.5', '~=1.4.2', true],
    ['1.5.0', '~=1.4.2', false],
    ['2.0rc1', '<2.0', true],
    ['2.0.post1', '>2.0', true],
    ['1.0.dev3', '<1.0', true],
    ['3.0', '!=3.0', false],
    ['3.0', '===3.0', true],
    ['0.5.11', '', true],
  ])('%s satisfies "%s": %s', (version, spec, expected) => {
    expect(satisfies(version, spec)).toBe(expected);
  });

  it('rejects what is not a specifier, naming it', () => {
    expect(() => validateSpecifiers('>>1')).toThrow(InvalidSpecifierError);
    expect(() => validateSpecifiers('latest')).toThrow(/"latest" is not a version specifier/);
    expect(() => validateSpecifiers('~=1')).toThrow(InvalidSpecifierError);
  });
});

describe('PEP 508 markers', () => {
  const py311 = markerEnvironment('3.11.7', 'linux');
  it.each([
    ["python_version < '3.10'", false],
    ["python_version >= '3.10' and python_version <= '3.11'", true],
    ["python_version >= '3.12'", false],
    ["sys_platform == 'linux' and (python_version == '3.9' or python_full_version >= '3.11.5')", true],
    ["platform_system != 'Windows'", true],
    ["'linux' in sys_platform", true],
  ])('%s → %s on python 3.11.7/linux', (marker, expected) => {
    expect(evaluateMarker(marker, py311)).toBe(expected);
  });

  it('compares versions as versions, not text', () => {
    expect(evaluateMarker("python_version >= '3.9'", markerEnvironment('3.10.0'))).toBe(true);
  });

  it('rejects unknown variables and broken expressions', () => {
    expect(() => evaluateMarker("python_versio == '3.10'", py311)).toThrow(InvalidMarkerError);
    expect(() => evaluateMarker("(python_version == '3.10'", py311)).toThrow(/parenthesis is not closed/);
  });

  it("picks clearml-agent's built-in pip_version entry for the interpreter", () => {
    const builtIn = ["<20.2 ; python_version < '3.10'", "<22.3 ; python_version >= '3.10' and python_version <= '3.11'", ">=23,<24.3 ; python_version >= '3.12'"];
    expect(applicableSpecifiers(builtIn, markerEnvironment('3.9.18'))).toEqual(['<20.2']);
    expect(applicableSpecifiers(builtIn, markerEnvironment('3.11.2'))).toEqual(['<22.3']);
    expect(applicableSpecifiers(builtIn, markerEnvironment('3.12.1'))).toEqual(['>=23', '<24.3']);
    expect(applicableSpecifiers(['23.2'], markerEnvironment('3.12.1'))).toEqual(['==23.2']);
  });
});
