// Entry point of the njs module: `js_import region_router from region-router.js;`
import { region, routeBody } from './njs/handlers';

// Written here, not re-exported: the bundle then has one module-level binding for it, not two.
export default { region, routeBody };
