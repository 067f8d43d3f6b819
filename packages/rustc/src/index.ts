export { parseInvocation, outputStem, instrumentsCoverage, type Invocation, type Extern, type LibPath, type NativeLib } from './invocation.js';
export { classify, crateTypeLabel, isInfoCall, LINKING_TYPES, WHOLE_TYPES, type Verdict } from './classify.js';
export { parseDepInfo, type DepInfo } from './depInfo.js';
export { splitPlan, linkHalfOf, manglingPin, plainMangling, plainAllowsFeatures, isNightlyRelease, featureFence, wholeOutputs, noLinkOutputs, type SplitPlan } from './splitPlan.js';
export { archiveMembers, type ReadAt } from './archive.js';
export { jobserverFdNumbers } from './jobserver.js';
export { compilerCall, driverOf, driverVerdict, type CompilerCall } from './driver.js';
export { unpackedKeepsObjects, hasDebuginfo } from './unpackedObjects.js';
export { otherModuleFile } from './moduleFiles.js';
