import test from 'ava';
import { checkAeTitles, chooseTransferSyntax, ContextResult, negotiateContext, Reject } from '../../src/dimse/negotiation.js';

const rules = { aeTitle: 'DAFNE', allowedCallingAeTitles: ['PACS1', 'CT2 '] };

test('AE titles: called must be the node, calling in the list (spaces insignificant, PS3.5 VR AE)', (t) => {
  t.is(checkAeTitles('DAFNE', 'PACS1', rules), undefined);
  t.is(checkAeTitles(' DAFNE  ', 'CT2', rules), undefined);
  t.is(checkAeTitles('dafne', 'PACS1', rules)?.reason, Reject.calledAeNotRecognized, 'AE titles are case-sensitive');
  t.is(checkAeTitles('DAFNE', 'OTHER', rules)?.reason, Reject.callingAeNotRecognized);
  t.is(checkAeTitles('DAFNE', 'ANYONE', { aeTitle: 'DAFNE', allowedCallingAeTitles: [] }), undefined, 'empty list: any calling AE');
});

test('contexts: Verification and the Storage SOP classes accepted, others refused with result 3', (t) => {
  t.deepEqual(negotiateContext('1.2.840.10008.1.1', ['1.2.840.10008.1.2']), { result: ContextResult.accept, transferSyntax: '1.2.840.10008.1.2' });
  t.deepEqual(negotiateContext('1.2.840.10008.5.1.4.1.1.66.4', ['1.2.840.10008.1.2.1']), { result: 0, transferSyntax: '1.2.840.10008.1.2.1' });
  t.is(negotiateContext('1.2.840.10008.5.1.4.1.2.2.1', ['1.2.840.10008.1.2']).result, ContextResult.abstractSyntaxNotSupported, 'Study Root FIND');
  t.is(negotiateContext('1.2.840.10008.5.1.4.38.1', ['1.2.840.10008.1.2']).result, 3, 'Hanging Protocol Storage: not a patient object');
  t.is(negotiateContext('1.2.840.10008.5.1.4.1.1.4', ['1.2.840.10008.1.2.4.100']).result, ContextResult.transferSyntaxesNotSupported);
});

test('transfer syntax: the SCU order, Big Endian only as the last resort', (t) => {
  t.is(chooseTransferSyntax(['1.2.840.10008.1.2.4.100', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.1']), '1.2.840.10008.1.2.4.90');
  t.is(chooseTransferSyntax(['1.2.840.10008.1.2.2', '1.2.840.10008.1.2']), '1.2.840.10008.1.2');
  t.is(chooseTransferSyntax(['1.2.840.10008.1.2.2']), '1.2.840.10008.1.2.2');
  t.is(chooseTransferSyntax(['1.2.840.10008.1.2.4.100']), undefined);
});
